import { lookup } from 'node:dns/promises';
import {
  FunkerEmptyReplyError,
  UnavailableError,
  WireConnectError,
  WireConnection,
  WireConnectionLostError,
  decodeFunkerReply,
  funkerCall,
  isRetryableFunkerError,
} from '@dispatch/core/driver';
import type { FunkerCallOptions } from '@dispatch/core/driver';
import { TaskGoneError } from './task-liveness.js';
import type { TaskLiveness } from './task-liveness.js';
import type { TaskAddresses } from './task-addresses.js';
import type { TaskLoad } from './task-load.js';
import type { WirePool } from './wire-pool.js';

/** Resolves a service name to the addresses of its tasks (see TaskAddresses, which shares them between calls). */
export type ResolveAddress = (service: string) => Promise<string[]>;

/**
 * The default: `tasks.<service>` through the resolver of the container the driver runs in, which on the overlay
 * network is Swarm's DNS (one A record per running task, in dnsrr and vip mode alike).
 */
export const resolveTasksByDns: ResolveAddress = async (service) => {
  const records = await lookup(`tasks.${service}`, { all: true, family: 4 });
  return records.map((record) => record.address);
};

export interface CallServiceOptions {
  service: string;
  body: unknown;
  port: number;
  deadline: number;
  signal?: AbortSignal;
  /** The addresses of the service's tasks, shared by its calls (no lookup on a call's path once known). */
  addresses: TaskAddresses;
  /** The bound of calls in flight per task; without it, none. */
  load?: TaskLoad;
  /** Milliseconds during which refused or reset connections are retried on other tasks. */
  retryWindowMs: number;
  keepAliveMs: number;
  /** The round robin position of the service, so that calls spread over its tasks. */
  nextIndex: () => number;
  /**
   * Retry a connection closed without a reply once, on another task. Dispatch's function server always answers,
   * so for its functions that means the task died during the call (killed or replaced): one more task gets the
   * call, which makes a call at-least-once across a dying task. Only once and only elsewhere, so that a handler
   * that kills its own process cannot take every task down. A plain funker handler closes without a reply when
   * it fails, which must not be repeated: leave this off for those.
   */
  retryEmptyReply?: boolean;
  /**
   * Watches the task of a call in flight and ends the call when the task is gone (its container removed), which
   * otherwise leaves it waiting for its deadline. With `retryEmptyReply`, such a call gets the same one retry on
   * another task as a call that a dying task closed.
   */
  liveness?: TaskLiveness;
  /**
   * Dispatch's runtimes: calls travel on the pool's long-lived wire connection to each task (a task that speaks
   * funker only, an image older than the wire protocol, is called over funker). Without it, funker.
   */
  wire?: WirePool;
}

/** The reply of a call and the task that gave it. */
export interface ServiceReply {
  reply: unknown;
  /** The address of the task that answered. */
  host: string;
  /** When the call was sent to that task (epoch milliseconds). */
  sentAt: number;
}

/**
 * A call that one task ended without a usable reply (the deadline, an abort, an empty or bad reply): `cause` is
 * the funker error, `host` the task's address.
 */
export class TaskCallError extends Error {
  override readonly cause: unknown;
  readonly host: string;
  /** When the call was sent to that task (epoch milliseconds). */
  readonly sentAt: number;

  constructor(host: string, sentAt: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'TaskCallError';
    this.cause = cause;
    this.host = host;
    this.sentAt = sentAt;
  }
}

/**
 * Calls a service over funker (or its tasks' wire connections, see `wire`), spreading calls over its tasks. A connection refused, reset or timed out before
 * any reply byte means that the task did not take the call (it is starting, stopping or being replaced): the
 * call is retried on another task, then on freshly resolved addresses with a growing pause, within the retry
 * window. Anything else (a reply, an empty reply, the deadline) ends the call: a reply resolves with the task
 * that gave it, a failure on a task throws a TaskCallError naming it; UnavailableError when no task took it.
 */
export async function callService(options: CallServiceOptions): Promise<ServiceReply> {
  const { service, deadline, signal, liveness } = options;
  let retryUntil = Math.min(deadline, Date.now() + options.retryWindowMs);
  const tried = new Set<string>();
  let pause = 20;
  let lastProblem = 'no task is running';
  let emptyReplyRetried = false;
  const wireBody = options.wire === undefined ? undefined : (JSON.stringify(options.body) ?? 'null');
  // The shared set first; once its tasks have all refused, a fresh resolution.
  let fresh = false;
  for (;;) {
    let addresses: string[] = [];
    try {
      const known = fresh ? options.addresses.refresh(service) : options.addresses.get(service);
      addresses = Array.isArray(known) ? known : await known;
    } catch (error) {
      lastProblem = `its name does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
    const start = addresses.length === 0 ? 0 : options.nextIndex() % addresses.length;
    const ordered = [...addresses.slice(start), ...addresses.slice(0, start)].filter((address) => !tried.has(address));
    const candidates = [...ordered];
    let full = false;
    while (candidates.length > 0) {
      const host = options.load === undefined ? candidates[0] : options.load.pick(candidates);
      if (host === undefined) {
        full = true;
        break;
      }
      candidates.splice(candidates.indexOf(host), 1);
      const sentAt = Date.now();
      const call = new AbortController();
      const abortCall = (): void => call.abort(signal?.reason);
      if (signal?.aborted) abortCall();
      signal?.addEventListener('abort', abortCall, { once: true });
      // Watched from the connection on: until then the connect timeout covers a task that is gone.
      let unwatch: (() => void) | undefined;
      options.load?.take(host);
      try {
        const onConnect = liveness === undefined ? undefined : () => (unwatch = liveness.watch(service, host, call));
        const link = options.wire?.connection(host);
        const connection = link === undefined || link instanceof WireConnection ? link : await link;
        if (connection !== undefined && wireBody !== undefined) {
          onConnect?.();
          const body = await connection.call(wireBody, { deadline, signal: call.signal });
          return { reply: decodeFunkerReply(body, host, options.port), host, sentAt };
        }
        const funker: FunkerCallOptions = {
          host,
          port: options.port,
          deadline,
          signal: call.signal,
          keepAliveMs: options.keepAliveMs,
          connectTimeoutMs: Math.max(1, Math.min(2000, deadline - Date.now())),
          onConnect,
        };
        return { reply: await funkerCall(options.body, funker), host, sentAt };
      } catch (error) {
        const gone: unknown = call.signal.reason;
        if (gone instanceof TaskGoneError && !signal?.aborted) {
          if (options.retryEmptyReply !== true || emptyReplyRetried) throw new TaskCallError(host, sentAt, gone);
          // The task is out of the service's addresses, so the next resolution cannot pick it again.
          emptyReplyRetried = true;
          tried.add(host);
          options.wire?.drop(host);
          lastProblem = gone.message;
          retryUntil = Math.min(deadline, Date.now() + options.retryWindowMs);
          options.addresses.refresh(service).catch(() => undefined);
          continue;
        }
        const taskDied =
          options.retryEmptyReply === true &&
          !emptyReplyRetried &&
          (error instanceof FunkerEmptyReplyError || error instanceof WireConnectionLostError) &&
          ordered.some((other) => other !== host && !tried.has(other));
        const neverSent = isRetryableFunkerError(error) || error instanceof WireConnectError;
        if (signal?.aborted || !(neverSent || taskDied)) throw new TaskCallError(host, sentAt, error);
        if (taskDied) emptyReplyRetried = true;
        tried.add(host);
        lastProblem = (error as Error).message;
        // The other calls stop picking a task that refuses or died once the set is resolved again.
        options.addresses.refresh(service).catch(() => undefined);
      } finally {
        options.load?.release(service, host);
        unwatch?.();
        signal?.removeEventListener('abort', abortCall);
      }
    }
    if (full && options.load !== undefined) {
      // Every task has its share of calls in flight: wait for one to end, within the call's deadline.
      await options.load.waitForRoom(service, deadline, signal);
      continue;
    }
    fresh = true;
    if (ordered.length > 0 && addresses.every((address) => tried.has(address))) tried.clear();
    if (Date.now() + pause >= retryUntil) {
      throw new UnavailableError(`[swarm] function "${service}": no task accepts calls on port ${options.port}: ${lastProblem}`);
    }
    await sleep(pause, signal);
    pause = Math.min(pause * 2, 500);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
