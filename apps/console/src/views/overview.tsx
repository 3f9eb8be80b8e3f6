import type { ComponentChildren } from 'preact';
import { Empty, Loading, Problem, StatusBadge, formatTime } from '../components.js';
import { KINDS } from '../api/types.js';
import type { Entity, Kind, Schedule } from '../api/types.js';
import { href } from '../route.js';
import { useLiveList } from '../watch.js';

/** A schedule's cron expression and its next run (the list is read again every 5 s, so it moves on). */
function ScheduleDetail({ schedule }: { schedule: Schedule }) {
  const next = schedule.nextRuns?.[0];
  return (
    <>
      <code>{schedule.cron}</code> {schedule.timezone} → {schedule.function} ·{' '}
      {!schedule.enabled ? (
        <span class="status status-disabled">disabled</span>
      ) : next === undefined ? (
        'no next run'
      ) : (
        <>
          next <time dateTime={new Date(next * 1000).toISOString()}>{formatTime(next)}</time>
        </>
      )}
    </>
  );
}

/** Details shown beside each kind's names. */
const DETAIL: Record<Kind, (entity: Entity & Record<string, unknown>) => ComponentChildren> = {
  function: (fn) => `image ${String(fn.image)}`,
  image: (image) => `from ${String(image.baseImage)}`,
  baseimage: (base) => `${String(base.language)} · ${String(base.imageURL)}`,
  endpoint: (endpoint) => `${(endpoint.uris as string[] | undefined)?.join(' ') ?? ''} → ${String(endpoint.function)}`,
  schedule: (schedule) => <ScheduleDetail schedule={schedule as unknown as Schedule} />,
  secret: () => 'values hidden',
};

/** Where a name leads: a function's and a schedule's runs. */
function nameLink(kind: Kind, entity: Entity & Record<string, unknown>): string | undefined {
  if (kind === 'function') return href('runs', { function: entity.name });
  if (kind === 'schedule') return href('runs', { function: String(entity.function), schedule: entity.name });
  return undefined;
}

function KindSection({ kind }: { kind: Kind }) {
  const { items, error, loading } = useLiveList<Entity & Record<string, unknown>>(kind);
  const failing = items?.filter(({ entity }) => entity.status === 'ERROR') ?? [];
  const headingId = `kind-${kind}`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>
        {KINDS[kind]} {items && <span class="count">({items.length})</span>}
      </h2>
      <Problem error={error} title={`Could not read ${KINDS[kind].toLowerCase()}`} />
      {failing.length > 0 && (
        <p class="error" role="alert">
          {failing.length === 1 ? '1 in ERROR' : `${failing.length} in ERROR`}: {failing.map(({ entity }) => entity.name).join(', ')}
        </p>
      )}
      {items === undefined ? (
        loading && <Loading what={KINDS[kind].toLowerCase()} />
      ) : items.length === 0 ? (
        <Empty>
          No {KINDS[kind].toLowerCase()} yet.{kind === 'function' && <a href={href('upload')}> Upload one.</a>}
        </Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Details</th>
                <th scope="col" class="col-changed">
                  Changed
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map(({ entity, line }) => (
                <tr key={entity.name} data-name={entity.name} class={entity.status === 'ERROR' ? 'row-error' : undefined}>
                  <th scope="row">{nameLink(kind, entity) ? <a href={nameLink(kind, entity)}>{entity.name}</a> : entity.name}</th>
                  <td>
                    <StatusBadge status={entity.status} />
                    {entity.reason && <div class="reason">{entity.reason}</div>}
                    {line && entity.status !== 'READY' && entity.status !== 'ERROR' && <div class="progress-line">{line}</div>}
                  </td>
                  <td>{kind === 'secret' ? 'values hidden' : DETAIL[kind](entity)}</td>
                  <td class="col-changed">{formatTime(entity.modifiedTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      {(Object.keys(KINDS) as Kind[]).map((kind) => (
        <KindSection key={kind} kind={kind} />
      ))}
    </>
  );
}
