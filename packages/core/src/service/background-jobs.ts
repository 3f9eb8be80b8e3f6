import type { DispatchLogger } from '../driver/logger.js';

/**
 * Long work that runs after a request has been answered (image builds, deploys, async runs).
 * Each entity's latest job wins: a job started before a newer one must not write its stale result.
 */
export class BackgroundJobs {
  private readonly running = new Set<Promise<unknown>>();
  private readonly generations = new Map<string, number>();
  private closed = false;
  private readonly aborter = new AbortController();

  /** Aborted on close, so that jobs waiting on something (an image to be READY) end at once. */
  readonly signal: AbortSignal = this.aborter.signal;

  constructor(private readonly logger?: DispatchLogger) {}

  /**
   * Starts `work` for `key`; `isCurrent` tells the job whether it is still the latest for that key (and Dispatch
   * is not closing), so that it writes its result only then. Work cut short by a close is redone by the next
   * start's reconciliation.
   */
  start(key: string, work: (isCurrent: () => boolean) => Promise<unknown>): void {
    if (this.closed) return;
    const generation = (this.generations.get(key) ?? 0) + 1;
    this.generations.set(key, generation);
    const isCurrent = () => !this.closed && this.generations.get(key) === generation;
    const job = work(isCurrent).catch((error: unknown) => {
      this.logger?.error({ err: error, key }, 'background job failed');
    });
    this.running.add(job);
    void job.finally(() => {
      this.running.delete(job);
      if (this.generations.get(key) === generation) this.generations.delete(key);
    });
  }

  /** Makes every running job of `key` stale (the entity was deleted). */
  cancel(key: string): void {
    const generation = this.generations.get(key);
    if (generation !== undefined) this.generations.set(key, generation + 1);
  }

  /** Stops new jobs and waits (up to `timeoutMs`) for the running ones. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    this.aborter.abort(new Error('Dispatch is closing'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
