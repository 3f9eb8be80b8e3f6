import { useEffect, useRef, useState } from 'preact/hooks';
import { readNdjson } from './api/ndjson.js';
import { SETTLED } from './api/types.js';
import type { Entity, Kind, WatchEvent } from './api/types.js';
import { useApi, useInterval } from './hooks.js';

export interface Live {
  status?: string;
  reason?: string;
  /** The latest build or deploy line. */
  line?: string;
}

/**
 * A kind's entities, with the status of those in progress followed live from `/v1/<kind>/{name}/events`;
 * the list itself is read again every few seconds to see entities created or changed elsewhere.
 */
export function useLiveList<T extends Entity>(kind: Kind) {
  const list = useApi<T[]>(`/v1/${kind}`);
  const [live, setLive] = useState<Record<string, Live>>({});
  const watching = useRef(new Map<string, AbortController>());
  useInterval(list.reload, 5000);

  useEffect(() => {
    for (const entity of list.data ?? []) {
      if (SETTLED.has(entity.status) || watching.current.has(entity.name)) continue;
      const abort = new AbortController();
      watching.current.set(entity.name, abort);
      void follow(`/v1/${kind}/${encodeURIComponent(entity.name)}/events`, abort.signal, (update) =>
        setLive((previous) => ({ ...previous, [entity.name]: { ...previous[entity.name], ...update } })),
      ).finally(() => {
        watching.current.delete(entity.name);
        if (!abort.signal.aborted) list.reload();
      });
    }
  }, [list.data]);

  useEffect(() => () => watching.current.forEach((abort) => abort.abort()), []);

  const merged = list.data?.map((entity) => {
    const update = live[entity.name];
    // The list wins once it has caught up with a settled status.
    if (update === undefined || SETTLED.has(entity.status)) return { entity, line: update?.line };
    return { entity: { ...entity, status: update.status ?? entity.status, reason: update.reason ?? entity.reason }, line: update.line };
  });
  return { ...list, items: merged };
}

/** Applies each event of a watch stream to `update` until the stream ends. */
export async function follow(path: string, signal: AbortSignal, update: (live: Live) => void): Promise<void> {
  try {
    for await (const event of readNdjson<WatchEvent>(path, signal)) {
      if (event.type === 'status') update({ status: event.status, reason: event.reason ?? '' });
      else if (event.type === 'progress') update({ line: event.line });
      else if (event.type === 'deleted') update({ status: 'DELETED' });
    }
  } catch {
    // The list poll shows the state anyway; a broken stream is not worth an alarm.
  }
}
