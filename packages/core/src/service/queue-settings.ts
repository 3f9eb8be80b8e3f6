/** The most attempts a run (or its function) may ask for. */
export const MAX_RUN_ATTEMPTS = 20;

/** How the durable queue of async runs and callbacks behaves; every field has a default. */
export interface QueueSettings {
  /** Async runs this process runs at once, all functions together (default 32). */
  concurrency: number;
  /** Async runs of one function this process runs at once (default 16). */
  perFunctionConcurrency: number;
  /** Async runs waiting or running, beyond which submissions are refused with 429 (default 100000). */
  maxQueued: number;
  /** How long a worker's claim on a run lasts unless renewed; a dead worker's runs are retried after it (default 30 s). */
  leaseMs: number;
  /** How often an idle worker looks for due work (default 250 ms; a submission on this gateway wakes it at once). */
  pollMs: number;
  /** Attempts of a run that the platform failed (SystemError, a lost worker) before it is dead-lettered (default 5). */
  platformAttempts: number;
  /** The first retry's back-off; each next one doubles, up to `maxBackoffMs` (default 1 s). */
  backoffMs: number;
  maxBackoffMs: number;
  /** Deliveries of a run's callback before it is given up (default 10). */
  callbackAttempts: number;
  /** The first callback retry's back-off, doubling up to `maxBackoffMs` (default 2 s). */
  callbackBackoffMs: number;
  /** How long a callback receiver may take to answer (default 10 s). */
  callbackTimeoutMs: number;
  /** How long an idempotency key returns the same run (default 24 h). */
  idempotencyWindowMs: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  concurrency: 32,
  perFunctionConcurrency: 16,
  maxQueued: 100_000,
  leaseMs: 30_000,
  pollMs: 250,
  platformAttempts: 5,
  backoffMs: 1000,
  maxBackoffMs: 5 * 60_000,
  callbackAttempts: 10,
  callbackBackoffMs: 2000,
  callbackTimeoutMs: 10_000,
  idempotencyWindowMs: 24 * 3600_000,
};

/** The wait before attempt `attempt + 1`: exponential from `base`, capped, with up to 20% jitter so retries spread. */
export function backoff(attempt: number, base: number, max: number): number {
  const delay = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(delay * (1 + Math.random() * 0.2));
}
