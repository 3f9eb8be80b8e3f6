import type { RunLimits } from '../driver/run-limits.js';
import type { EntityKind } from '../domain/types.js';
import type { Driver } from '../driver/driver.js';
import type { Store } from '../store/store.js';
import type { BackgroundJobs } from './background-jobs.js';
import type { DispatchLogger } from '../driver/logger.js';
import type { Autoscaler } from './autoscaler.js';
import type { EntityLifecycle } from './entity-lifecycle.js';
import type { DispatchObservers } from './dispatch-observer.js';

/** What the use-cases share: the store, the driver, background work, and each kind's lifecycle. */
export interface ServiceContext {
  readonly store: Store;
  readonly driver: Driver;
  readonly jobs: BackgroundJobs;
  readonly logger?: DispatchLogger;
  /** Counts calls in flight and scales autoscaled functions (a no-op for the others). */
  readonly autoscaler: Autoscaler;
  /** Told of calls, builds and cold starts (the gateway's metrics); report a start from zero with `observers.coldStart`. */
  readonly observers: DispatchObservers;
  readonly lifecycles: { readonly [K in EntityKind]: EntityLifecycle<K> };
  readonly defaults: { readonly timeoutMs: number; readonly runHistory: number; readonly runLimits: RunLimits };
}

/** The key background jobs use for an entity. */
export const jobKey = (kind: EntityKind, name: string) => `${kind}/${name}`;
