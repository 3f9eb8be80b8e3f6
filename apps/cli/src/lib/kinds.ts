import type { BaseImage, DispatchFunction, Endpoint, EntityKind, EntityMeta, Image, Run, Schedule, Secret } from '@dispatch/core/driver';
import { formatUnixDate } from './dates.js';
import { truncate } from './table.js';

/** How a kind of entity is named on the command line, in manifests, and shown in a table. */
export interface KindInfo<T = EntityMeta> {
  /** The REST path segment: `/v1/<kind>`. */
  kind: EntityKind;
  /** The command-line noun (`base-image`), also used in `Created base-image: name`. */
  noun: string;
  /** The manifest `kind:` value. */
  manifestKind: string;
  headers: string[];
  /** Columns some backends never fill (FUNCTIONIMAGE on local): left out when empty in every row. */
  optional?: string[];
  row(entity: T): string[];
}

const REASON_WIDTH = 60;

/** The status, and for ERROR the reason, which is what a user needs to act on. */
export function statusCell(entity: { status: string; reason?: string }): string {
  if (entity.status !== 'ERROR' || !entity.reason) return entity.status;
  return truncate(`ERROR: ${entity.reason}`, REASON_WIDTH);
}

const list = (values: readonly string[] | undefined) => (values ?? []).join(',');

const baseImage: KindInfo<BaseImage> = {
  kind: 'baseimage',
  noun: 'base-image',
  manifestKind: 'BaseImage',
  headers: ['NAME', 'LANGUAGE', 'URL', 'STATUS', 'CREATED DATE'],
  row: (b) => [b.name, b.language, b.imageURL, statusCell(b), formatUnixDate(b.createdTime)],
};

const image: KindInfo<Image> = {
  kind: 'image',
  noun: 'image',
  manifestKind: 'Image',
  headers: ['NAME', 'DESTINATION', 'BASEIMAGE', 'STATUS', 'CREATED DATE'],
  row: (i) => [i.name, i.imageURL, i.baseImage, statusCell(i), formatUnixDate(i.createdTime)],
};

const fn: KindInfo<DispatchFunction> = {
  kind: 'function',
  noun: 'function',
  manifestKind: 'Function',
  headers: ['NAME', 'FUNCTIONIMAGE', 'STATUS', 'CREATED DATE'],
  optional: ['FUNCTIONIMAGE'],
  row: (f) => [f.name, f.functionImageURL, statusCell(f), formatUnixDate(f.createdTime)],
};

const secret: KindInfo<Secret> = {
  kind: 'secret',
  noun: 'secret',
  manifestKind: 'Secret',
  headers: ['NAME', 'CONTENT'],
  row: (s) => {
    const entries = Object.entries(s.secrets ?? {});
    const hidden = entries.every(([, value]) => value === '<hidden>');
    return [s.name, hidden ? '<hidden>' : entries.map(([key, value]) => `${key}=${value}`).join(', ')];
  },
};

const endpoint: KindInfo<Endpoint> = {
  kind: 'endpoint',
  noun: 'endpoint',
  manifestKind: 'Endpoint',
  headers: ['NAME', 'FUNCTION', 'PROTOCOL', 'METHOD', 'DOMAIN', 'PATH', 'ENABLED'],
  row: (e) => [e.name, e.function, list(e.protocols), list(e.methods), list(e.hosts), list(e.uris), String(e.enabled)],
};

/** The next run times, soonest first, as dates; `disabled` when it runs nothing. */
function nextRunsCell(s: Schedule): string {
  if (!s.enabled) return 'disabled';
  return (s.nextRuns ?? []).map(formatUnixDate).join(', ');
}

const schedule: KindInfo<Schedule> = {
  kind: 'schedule',
  noun: 'schedule',
  manifestKind: 'Schedule',
  headers: ['NAME', 'FUNCTION', 'CRON', 'TIMEZONE', 'NEXT RUNS'],
  row: (s) => [s.name, s.function, s.cron, s.timezone, nextRunsCell(s)],
};

export const KINDS = { baseimage: baseImage, image, function: fn, secret, endpoint, schedule } as const satisfies Record<
  EntityKind,
  KindInfo<never>
>;

/** The kinds in the order a manifest is applied: what others refer to comes first. */
export const APPLY_ORDER: readonly EntityKind[] = ['baseimage', 'image', 'secret', 'function', 'endpoint', 'schedule'];

export function kindInfo(kind: EntityKind): KindInfo {
  return KINDS[kind] as unknown as KindInfo;
}

export const RUN_TABLE = {
  headers: ['ID', 'FUNCTION', 'STATUS', 'STARTED', 'FINISHED', 'SCHEDULE'],
  /** Shown when a listed run was started by a schedule. */
  optional: ['SCHEDULE'],
  row: (r: Run): string[] => [
    r.name,
    r.functionName,
    r.deadLettered
      ? truncate(`DEAD LETTER: ${r.reason}`, REASON_WIDTH)
      : r.status === 'ERROR'
        ? truncate(`ERROR: ${r.error ? `${r.error.type}: ${r.error.message}` : r.reason}`, REASON_WIDTH)
        : r.status,
    formatUnixDate(r.executedTime),
    formatUnixDate(r.finishedTime),
    r.schedule ?? '',
  ],
};
