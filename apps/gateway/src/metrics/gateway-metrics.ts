import type { Dispatch, DispatchObserver, Run } from '@dispatch/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { replicaStatuses } from './replica-statuses.js';

/** What a finished call counts as, by whose failure it was (`error.type`). */
const OUTCOMES = { InputError: 'input_error', FunctionError: 'function_error', SystemError: 'system_error' } as const;
type Outcome = 'success' | (typeof OUTCOMES)[keyof typeof OUTCOMES];
const OUTCOME_NAMES: Outcome[] = ['success', ...Object.values(OUTCOMES)];

/** The per-function children of the call metrics, made once per function: the run path only increments. */
interface FunctionSeries {
  runs: Record<Outcome, { inc(): void }>;
  duration: { observe(value: number): void };
  inFlight: { inc(): void; dec(): void };
  /** Calls under way, so that the series of a function deleted mid-call are kept until it ends. */
  active: number;
  /** When the series were made (epoch ms), so that a list of functions older than them does not drop them. */
  since: number;
}

const RUN_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const COLD_START_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10, 30, 60];
const BUILD_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** The metrics of one gateway, in a registry of its own; `observer` is given to `dispatch.observe`. */
export interface GatewayMetrics {
  registry: Registry;
  observer: DispatchObserver;
  /** Reads the gauges read at scrape time (replicas, queue depth), drops deleted functions' series, and writes them all. */
  scrape(): Promise<string>;
  /** Counts the time a request that ran a function spent in the gateway outside the call, in milliseconds. */
  observeOverhead(ms: number): void;
}

/**
 * Creates the gateway's metrics (names in docs/metrics.md): counters and histograms the observer feeds as calls
 * run, and gauges `scrape` reads from the backend (replicas, cached briefly) and the store (queue depth).
 * Only functions label series, and only functions that exist: the series of a deleted function go when it is gone.
 */
export function createGatewayMetrics(dispatch: Dispatch, options: { replicaCacheMs?: number } = {}): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const runs = new Counter({
    name: 'dispatch_runs_total',
    help: 'Function calls that ended, by function and outcome (success, function_error, input_error, system_error).',
    labelNames: ['function', 'outcome'],
    registers,
  });
  const runDuration = new Histogram({
    name: 'dispatch_run_duration_seconds',
    help: 'Time of a function call as the gateway sees it (the backend call, not the queue wait).',
    labelNames: ['function'],
    buckets: RUN_BUCKETS,
    registers,
  });
  const inFlight = new Gauge({
    name: 'dispatch_calls_in_flight',
    help: 'Function calls under way now.',
    labelNames: ['function'],
    registers,
  });
  const overhead = new Histogram({
    name: 'dispatch_gateway_overhead_seconds',
    help: 'Time a request that ran a function spent in the gateway outside the function call.',
    buckets: OVERHEAD_BUCKETS,
    registers,
  });
  const coldStarts = new Counter({
    name: 'dispatch_cold_starts_total',
    help: 'Calls that waited for their function to start (scaled to zero, or being deployed).',
    labelNames: ['function'],
    registers,
  });
  const coldStartDuration = new Histogram({
    name: 'dispatch_cold_start_duration_seconds',
    help: 'Time a call waited for its function to start.',
    labelNames: ['function'],
    buckets: COLD_START_BUCKETS,
    registers,
  });
  const builds = new Histogram({
    name: 'dispatch_build_duration_seconds',
    help: 'Image builds (kind="image") and function deploys (kind="function"), by outcome (success, failure).',
    labelNames: ['kind', 'outcome'],
    buckets: BUILD_BUCKETS,
    registers,
  });
  // The series labelled by function alone (the runs counter has an outcome too).
  const byFunction = [runDuration, inFlight, coldStarts, coldStartDuration];

  const series = new Map<string, FunctionSeries>();
  function seriesOf(name: string): FunctionSeries {
    let found = series.get(name);
    if (!found) {
      const runsOf = (outcome: Outcome) => {
        // Every outcome's series exists from the first call on, at 0: rate() and alerts see the first failure.
        runs.inc({ function: name, outcome }, 0);
        return runs.labels(name, outcome);
      };
      found = {
        runs: {
          success: runsOf('success'),
          input_error: runsOf('input_error'),
          function_error: runsOf('function_error'),
          system_error: runsOf('system_error'),
        },
        duration: runDuration.labels(name),
        inFlight: inFlight.labels(name),
        active: 0,
        since: Date.now(),
      };
      series.set(name, found);
    }
    return found;
  }

  const replicas = new Gauge({
    name: 'dispatch_function_replicas',
    help: 'Replicas of each function, as the backend reports them (state="desired" or "ready"); read at scrape time.',
    labelNames: ['function', 'state'],
    registers,
  });
  const queueDepth = new Gauge({
    name: 'dispatch_async_queue_depth',
    help: 'Entries waiting in the durable queue (kind="run": async runs; kind="callback": callbacks to deliver); read from the store at scrape time.',
    labelNames: ['kind'],
    registers,
  });
  const statuses = replicaStatuses(dispatch, options.replicaCacheMs ?? 5000);

  /** Reads what is read at scrape time, before any series is written out (prom-client writes them all at once). */
  async function refresh(): Promise<void> {
    const [current, queuedRuns, queuedCallbacks] = await Promise.all([
      statuses(),
      dispatch.store.queue.depth('run'),
      dispatch.store.queue.depth('callback'),
    ]);
    replicas.reset();
    for (const [name, status] of current.statuses) {
      replicas.set({ function: name, state: 'desired' }, status.replicas.desired);
      replicas.set({ function: name, state: 'ready' }, status.replicas.ready);
    }
    queueDepth.set({ kind: 'run' }, queuedRuns);
    queueDepth.set({ kind: 'callback' }, queuedCallbacks);
    forgetDeleted(current.functions, current.listedAt);
  }

  /** Drops the series of functions that no longer exist (never one with a call under way, nor one newer than the list). */
  function forgetDeleted(existing: Set<string>, listedAt: number): void {
    for (const [name, kept] of series) {
      if (existing.has(name) || kept.active > 0 || kept.since >= listedAt) continue;
      series.delete(name);
      for (const metric of byFunction) metric.remove({ function: name });
      for (const outcome of OUTCOME_NAMES) runs.remove({ function: name, outcome });
    }
  }

  return {
    registry,
    async scrape() {
      await refresh();
      return registry.metrics();
    },
    observeOverhead: (ms) => overhead.observe(ms / 1000),
    observer: {
      callStarted(name) {
        const functionSeries = seriesOf(name);
        functionSeries.inFlight.inc();
        functionSeries.active++;
      },
      callFinished(run: Readonly<Run>) {
        const functionSeries = seriesOf(run.functionName);
        functionSeries.inFlight.dec();
        functionSeries.active--;
        functionSeries.runs[run.error ? (OUTCOMES[run.error.type] ?? 'function_error') : 'success'].inc();
        if (run.durationMs !== undefined) functionSeries.duration.observe(run.durationMs / 1000);
      },
      buildFinished({ kind, ok, durationMs }) {
        builds.observe({ kind, outcome: ok ? 'success' : 'failure' }, durationMs / 1000);
      },
      coldStart({ functionName, durationMs }) {
        seriesOf(functionName);
        coldStarts.inc({ function: functionName });
        coldStartDuration.observe({ function: functionName }, durationMs / 1000);
      },
    },
  };
}
