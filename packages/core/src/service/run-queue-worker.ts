import { randomUUID } from 'node:crypto';
import type { Run } from '../domain/types.js';
import { NotFoundError } from '../errors.js';
import type { ClaimedEntry, QueueEntryKey, QueueKind } from '../store/store.js';
import type { DeliveryResult } from './callback-delivery.js';
import type { FunctionRuntimeCache } from './function-runtime-cache.js';
import { backoff, type QueueSettings } from './queue-settings.js';
import { callFunction, requestFor, seconds } from './run-call.js';
import type { ServiceContext } from './service-context.js';

type Deliver = (run: Run, attempt: number) => Promise<DeliveryResult>;
type Next = { kind: QueueKind; delayMs: number } | undefined;

/**
 * Runs the durable queue: claims due entries with a lease (renewed while they run), runs them within the
 * concurrency limits, and settles each with its result, a retry after a back-off, or a dead letter. Whatever a
 * crash cuts short is claimed again once its lease expires, so every queued run finishes: at least once.
 */
export class RunQueueWorker {
  /** This process's name on its leases. */
  readonly owner = randomUUID();
  private readonly running = new Map<string, { entry: ClaimedEntry; done: Promise<void> }>();
  private readonly perFunction = new Map<string, number>();
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** The queue's depth as last counted, plus what this process submitted since. */
  private depthEstimate = 0;

  constructor(
    private readonly context: ServiceContext,
    private readonly cache: FunctionRuntimeCache,
    private readonly settings: QueueSettings,
    private readonly deliver: Deliver,
    /** Called with each run settled as finished, to prune the history now and then. */
    private readonly onFinished: (run: Run) => void,
  ) {}

  start(): void {
    this.loop ??= this.run();
    this.renewTimer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.settings.leaseMs / 3)));
    this.renewTimer.unref();
  }

  /** Looks for work now (a run was just submitted here). */
  wake(): void {
    this.depthEstimate++;
    this.wakeUp?.();
  }

  /** True when the queue holds `maxQueued` runs or more, as far as this process knows. */
  full(): boolean {
    return this.depthEstimate >= this.settings.maxQueued;
  }

  /** Stops claiming, waits up to `timeoutMs` for running work, and gives back what is still running. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    clearInterval(this.renewTimer);
    this.wakeUp?.();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.values()].map((work) => work.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    await Promise.allSettled([...this.running.values()].map(({ entry }) => this.context.store.queue.release(this.owner, entry)));
  }

  private async run(): Promise<void> {
    let lastCount = 0;
    // A claim that leaves busy functions out must read past all their waiting entries: when one found nothing,
    // don't repeat it for the same busy functions until the next poll (a finished run changes the set at once).
    let fruitless = { busy: '', at: 0 };
    while (!this.closed) {
      let claimed = 0;
      let free = this.settings.concurrency - this.running.size;
      try {
        if (Date.now() - lastCount >= this.settings.pollMs) {
          lastCount = Date.now();
          this.depthEstimate = await this.context.store.queue.depth('run');
        }
        if (free > 0) {
          const perFunction = this.settings.perFunctionConcurrency;
          const busy = [...this.perFunction].filter(([, n]) => n >= perFunction).map(([name]) => name);
          // No claim may take a function past its limit: take at most what the busiest function still has room for.
          const busiest = Math.max(0, ...[...this.perFunction.values()].filter((n) => n < perFunction));
          const limit = Math.min(free, perFunction - busiest);
          const busyKey = busy.join(',');
          const skip = busy.length > 0 && fruitless.busy === busyKey && Date.now() - fruitless.at < this.settings.pollMs;
          const entries = skip
            ? []
            : await this.context.store.queue.claim({ owner: this.owner, limit, leaseMs: this.settings.leaseMs, excludeFunctions: busy });
          if (!skip && busy.length > 0 && entries.length === 0) fruitless = { busy: busyKey, at: Date.now() };
          claimed = entries.length;
          for (const entry of entries) this.begin(entry);
          free = this.settings.concurrency - this.running.size;
        }
      } catch (error) {
        this.context.logger?.error({ err: error }, 'the run queue could not be read; trying again');
      }
      if (claimed > 0 && free > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private begin(entry: ClaimedEntry): void {
    const name = entry.run.functionName;
    const count = this.perFunction.get(name) ?? 0;
    if (entry.kind === 'run' && count >= this.settings.perFunctionConcurrency) {
      void this.context.store.queue.release(this.owner, entry);
      return;
    }
    const key = `${entry.kind}/${entry.runId}`;
    if (entry.kind === 'run') this.perFunction.set(name, count + 1);
    const done = (entry.kind === 'run' ? this.runEntry(entry) : this.callbackEntry(entry))
      .catch((error: unknown) =>
        this.context.logger?.error({ err: error, run: entry.runId }, 'queued work failed; its lease will expire and it is tried again'),
      )
      .finally(() => {
        this.running.delete(key);
        if (entry.kind === 'run') {
          const left = (this.perFunction.get(name) ?? 1) - 1;
          if (left > 0) this.perFunction.set(name, left);
          else this.perFunction.delete(name);
        }
        this.wakeUp?.();
      });
    this.running.set(key, { entry, done });
  }

  private async renew(): Promise<void> {
    const entries: QueueEntryKey[] = [...this.running.values()].map(({ entry }) => ({ runId: entry.runId, kind: entry.kind }));
    await this.context.store.queue.renew(this.owner, entries, this.settings.leaseMs).catch((error: unknown) => {
      this.context.logger?.warn({ err: error }, 'could not renew the leases of running work');
    });
  }

  private async runEntry(entry: ClaimedEntry): Promise<void> {
    const run = entry.run;
    run.attempts = entry.attempts;
    let runtime;
    try {
      runtime = await this.cache.function(run.functionName);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return this.finish(entry, this.deadLetter(run, `function "${run.functionName}" no longer exists`));
    }
    const { fn } = runtime;
    if (entry.attempts > Math.max(this.settings.platformAttempts, run.maxAttempts ?? fn.maxAttempts ?? 1)) {
      // Claimed more often than any failure allows: its workers died while running it, every time.
      return this.finish(entry, this.deadLetter(run, `its worker was lost ${entry.attempts - 1} times`));
    }
    if (fn.status !== 'READY' && fn.status !== 'UPDATING') {
      // Not its failure: the function is being deployed (after a restart, say). Wait without using an attempt.
      await this.context.store.queue.release(this.owner, entry, this.settings.backoffMs);
      return;
    }
    const request = await requestFor(this.cache, runtime, run);
    const platformError = await callFunction(this.context, runtime, run, request);
    if (run.status === 'READY') return this.finish(entry, run);

    const allowed = platformError
      ? this.settings.platformAttempts
      : run.error?.type === 'FunctionError'
        ? (run.maxAttempts ?? fn.maxAttempts ?? 1)
        : 1;
    if (entry.attempts < allowed) {
      const delayMs = backoff(entry.attempts, this.settings.backoffMs, this.settings.maxBackoffMs);
      run.status = 'INITIALIZED';
      run.reason = `attempt ${entry.attempts} failed (${run.reason}); retrying in ${Math.ceil(delayMs / 1000)} s`;
      await this.context.store.queue.settle(this.owner, entry, run, { kind: 'run', delayMs });
      return;
    }
    return this.finish(entry, this.deadLetter(run, run.reason));
  }

  private deadLetter(run: Run, why: string): Run {
    run.status = 'ERROR';
    run.deadLettered = true;
    run.reason = `dead-lettered after ${run.attempts} attempt${run.attempts === 1 ? '' : 's'}: ${why}`;
    if (!run.error) run.error = { type: 'SystemError', message: why };
    if (!run.finishedTime) run.finishedTime = seconds(Date.now());
    return run;
  }

  /** Settles a finished run, queueing its callback when it has one. */
  private async finish(entry: ClaimedEntry, run: Run): Promise<void> {
    let next: Next;
    if (run.callbackURL) {
      run.callback = { status: 'PENDING', attempts: 0 };
      next = { kind: 'callback', delayMs: 0 };
    }
    if (await this.context.store.queue.settle(this.owner, entry, run, next)) this.onFinished(run);
    else this.context.logger?.warn({ run: run.id }, 'a run finished after its lease was taken over; its result was dropped');
  }

  private async callbackEntry(entry: ClaimedEntry): Promise<void> {
    const run = entry.run;
    const result = await this.deliver(run, entry.attempts);
    const state = { ...(run.callback ?? { status: 'PENDING' as const, attempts: 0 }), attempts: entry.attempts };
    let next: Next;
    if (result.delivered) {
      run.callback = { status: 'DELIVERED', attempts: entry.attempts, deliveredTime: seconds(Date.now()) };
    } else if (entry.attempts < this.settings.callbackAttempts) {
      run.callback = { ...state, status: 'PENDING', lastError: result.error };
      next = { kind: 'callback', delayMs: backoff(entry.attempts, this.settings.callbackBackoffMs, this.settings.maxBackoffMs) };
    } else {
      run.callback = { ...state, status: 'FAILED', lastError: `given up after ${entry.attempts} deliveries: ${result.error}` };
    }
    await this.context.store.queue.settle(this.owner, entry, run, next);
  }
}
