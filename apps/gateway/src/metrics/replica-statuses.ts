import type { Dispatch, FunctionRuntimeStatus } from '@dispatch/core';

/** Status questions to the backend at once: a Swarm answers each from its manager, and a scrape must not flood it. */
const PARALLEL = 8;

/** The functions in the store, and the backend's status of those whose status could be read. */
export interface ReplicaStatuses {
  functions: Set<string>;
  /** When the list of functions was asked for (epoch ms): a function created since may be missing from it. */
  listedAt: number;
  statuses: Map<string, FunctionRuntimeStatus>;
}

/**
 * The backend's status of every function, asked at most once per `cacheMs` however often Prometheus (or several
 * of them) scrapes, and never twice at the same time. A function whose status cannot be read is left out.
 */
export function replicaStatuses(dispatch: Dispatch, cacheMs: number): () => Promise<ReplicaStatuses> {
  let cached: { at: number; statuses: Promise<ReplicaStatuses> } | undefined;

  async function read(): Promise<ReplicaStatuses> {
    const listedAt = Date.now();
    const names = (await dispatch.functions.list()).map((fn) => fn.name);
    const statuses = new Map<string, FunctionRuntimeStatus>();
    for (let start = 0; start < names.length; start += PARALLEL) {
      const batch = names.slice(start, start + PARALLEL);
      const answers = await Promise.all(batch.map((name) => dispatch.driver.status(name).catch(() => undefined)));
      batch.forEach((name, index) => {
        const answer = answers[index];
        if (answer) statuses.set(name, answer);
      });
    }
    return { functions: new Set(names), listedAt, statuses };
  }

  return () => {
    const now = Date.now();
    if (!cached || now - cached.at >= cacheMs) {
      const statuses = read();
      cached = { at: now, statuses };
      // A failed read is not kept: the next scrape asks again.
      statuses.catch(() => {
        if (cached?.statuses === statuses) cached = undefined;
      });
    }
    return cached.statuses;
  };
}
