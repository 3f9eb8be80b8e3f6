import { DeadlineExceededError, UnavailableError } from '@dispatch/core/driver';

export interface TaskLoadOptions {
  /** Calls in flight on one task at most; more wait in the gateway. */
  maxCallsPerTask: number;
  /** Calls of one function waiting for room at most; one more is refused (503). */
  maxWaitingCalls: number;
}

/** How long a waiting call sleeps before it looks again (new tasks may have appeared that no release announces). */
const LOOK_AGAIN_MS = 100;

/**
 * The calls in flight on each task of the swarm backend, bounded per task like the local backend's processes
 * (`maxCallsPerProcess`): a task's function server takes every call it is sent, so without a bound a burst
 * queues inside one container, where neither the deadline nor the other tasks can help it.
 */
export class TaskLoad {
  private readonly inflight = new Map<string, number>();
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly options: TaskLoadOptions) {}

  /** The least busy of `hosts` with room for a call, ties going to the earliest; undefined when all are full. */
  pick(hosts: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestLoad = this.options.maxCallsPerTask;
    for (const host of hosts) {
      const load = this.inflight.get(host) ?? 0;
      if (load < bestLoad) {
        best = host;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    return best;
  }

  /** Counts a call on `host` until `release`. */
  take(host: string): void {
    this.inflight.set(host, (this.inflight.get(host) ?? 0) + 1);
  }

  /** Ends a call on `host` of `service`, letting a waiting call of that service go. */
  release(service: string, host: string): void {
    const load = (this.inflight.get(host) ?? 1) - 1;
    if (load <= 0) this.inflight.delete(host);
    else this.inflight.set(host, load);
    const waiters = this.waiting.get(service);
    const next = waiters?.values().next();
    if (next !== undefined && next.done !== true) next.value();
  }

  /**
   * Waits until a call of `service` ends or a moment passes. Rejects with UnavailableError when too many calls
   * wait already, with DeadlineExceededError past the deadline or on abort.
   */
  async waitForRoom(service: string, deadline: number, signal?: AbortSignal): Promise<void> {
    const left = deadline - Date.now();
    const busy = `its tasks have ${this.options.maxCallsPerTask} calls in flight each`;
    if (signal?.aborted) throw new DeadlineExceededError(`[swarm] the call to "${service}" was aborted`, { cause: signal.reason });
    if (left <= 0) throw new UnavailableError(`[swarm] function "${service}" has no task free to take the call (${busy})`);
    let waiters = this.waiting.get(service);
    if (waiters === undefined) {
      waiters = new Set();
      this.waiting.set(service, waiters);
    }
    if (waiters.size >= this.options.maxWaitingCalls) {
      throw new UnavailableError(`[swarm] function "${service}" has ${this.options.maxWaitingCalls} calls waiting already (${busy})`);
    }
    const set = waiters;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(left, LOOK_AGAIN_MS));
      function done(): void {
        clearTimeout(timer);
        set.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
    if (set.size === 0 && this.waiting.get(service) === set) this.waiting.delete(service);
  }
}
