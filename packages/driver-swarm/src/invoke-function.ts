import {
  DeadlineExceededError,
  FunkerBadReplyError,
  FunkerEmptyReplyError,
  FunkerIncompleteReplyError,
  NotFoundError,
  UnavailableError,
  WireConnectionLostError,
  errorEnvelope,
  isRunEnvelope,
  timedOutEnvelope,
  wrapBareReply,
} from '@dispatch/core/driver';
import type { FunctionProtocol, InvokeOptions, RunEnvelope, RunRequest } from '@dispatch/core/driver';
import { TaskCallError, callService } from './call-service.js';
import type { ServiceReply } from './call-service.js';
import type { TaskAddresses } from './task-addresses.js';
import type { TaskLoad } from './task-load.js';
import { TaskGoneError } from './task-liveness.js';
import type { TaskLiveness } from './task-liveness.js';
import type { TaskReplacer } from './task-replacer.js';
import type { WirePool } from './wire-pool.js';

/** How long a timed-out call waits for the engine to kill its stuck task before it answers. */
const KILL_WAIT_MS = 1000;

/** What a call needs to know about a deployed function, read from its service's labels. */
export interface FunctionMeta {
  protocol: FunctionProtocol;
  timeout: number;
}

/** What the invoker needs from the driver: the functions' settings and the engine. */
export interface SwarmInvokerOptions {
  funkerPort: number;
  /** The addresses of the functions' tasks, shared by their calls. */
  addresses: TaskAddresses;
  /** The bound of calls in flight per task. */
  load: TaskLoad;
  /** Caps every call's deadline, in ms; default: the caller's deadline only. */
  callTimeoutMs?: number;
  retryWindowMs: number;
  keepAliveMs: number;
  replacer: TaskReplacer;
  liveness: TaskLiveness;
  /** The long-lived connections to the tasks of Dispatch's runtimes. */
  wire: WirePool;
  /** The function's settings; rejects with NotFoundError (or why it failed) when it is not deployed. */
  metaOf(name: string): Promise<FunctionMeta>;
  /** Whether the function's service still exists; when it does not, the driver forgets what it knew of it. */
  stillDeployed(name: string): Promise<boolean>;
}

/** Calls functions over funker (Dispatch's runtimes: long-lived wire connections), round robin across their tasks. */
export interface SwarmInvoker {
  invoke(name: string, request: RunRequest, options: InvokeOptions): Promise<RunEnvelope>;
  /** Forgets a removed function's place in the round robin. */
  forget(name: string): void;
}

/**
 * Invocation on the swarm backend: a call goes to the function's tasks in turn, retrying tasks that refuse the
 * connection; every outcome becomes an envelope (the function's own, or one that says how the call failed); a
 * task that is stuck past the call's deadline is replaced.
 */
export function createSwarmInvoker(options: SwarmInvokerOptions): SwarmInvoker {
  const roundRobin = new Map<string, number>();

  /**
   * A call that got no reply by its deadline, not even its function server's own timeout answer, although the
   * task had it for the whole of the function's timeout: the task is stuck (a synchronous loop) and would keep
   * its share of the round robin forever, so its container is killed and Swarm starts another. The call waits a
   * moment for it, so that the next one does not go to the stuck task. A deadline shorter than the function's
   * timeout (the caller's or `callTimeoutMs`) says nothing about the task and replaces nothing.
   */
  async function replaceStuckTask(
    name: string,
    meta: FunctionMeta,
    request: RunRequest,
    failure: TaskCallError,
    deadline: number,
  ): Promise<void> {
    const timeout = request.context?.timeout || meta.timeout;
    if (timeout > 0 && deadline - failure.sentAt < timeout) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      options.replacer.replace(name, failure.host, failure.sentAt),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, KILL_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  return {
    async invoke(name, request, invokeOptions) {
      const meta = await options.metaOf(name);
      const deadline =
        options.callTimeoutMs === undefined ? invokeOptions.deadline : Math.min(invokeOptions.deadline, Date.now() + options.callTimeoutMs);
      let answer: ServiceReply;
      try {
        answer = await callService({
          service: name,
          body: meta.protocol === 'funker' ? request.payload : request,
          port: options.funkerPort,
          deadline,
          signal: invokeOptions.signal,
          addresses: options.addresses,
          load: options.load,
          retryWindowMs: options.retryWindowMs,
          keepAliveMs: options.keepAliveMs,
          retryEmptyReply: meta.protocol !== 'funker',
          liveness: options.liveness,
          wire: meta.protocol === 'funker' ? undefined : options.wire,
          nextIndex: () => {
            const index = roundRobin.get(name) ?? Math.floor(Math.random() * 1000);
            roundRobin.set(name, index + 1);
            return index;
          },
        });
      } catch (error) {
        if (error instanceof TaskCallError) {
          if (error.cause instanceof DeadlineExceededError && !invokeOptions.signal?.aborted) {
            await replaceStuckTask(name, meta, request, error, deadline);
          }
          return failedCall(name, meta, request, error.cause, invokeOptions.signal);
        }
        if (error instanceof UnavailableError && !(await options.stillDeployed(name))) {
          throw new NotFoundError(`[swarm] function "${name}" is not deployed`, { cause: error });
        }
        return failedCall(name, meta, request, error, invokeOptions.signal);
      }
      return envelopeOf(name, meta, answer.reply);
    },

    forget(name) {
      roundRobin.delete(name);
    },
  };
}

function envelopeOf(name: string, meta: FunctionMeta, reply: unknown): RunEnvelope {
  if (meta.protocol === 'funker') return wrapBareReply(reply);
  if (!isRunEnvelope(reply)) {
    return errorEnvelope('SystemError', `[swarm] the function server of "${name}" answered something that is not a run envelope`);
  }
  reply.context.logs ??= { stdout: [], stderr: [] };
  return reply;
}

/** The envelope of a call that failed on its way; errors that say nothing about the call are thrown again. */
function failedCall(name: string, meta: FunctionMeta, request: RunRequest, error: unknown, signal?: AbortSignal): RunEnvelope {
  if (error instanceof DeadlineExceededError && !signal?.aborted) {
    return timedOutEnvelope(request.context?.timeout || meta.timeout);
  }
  if (error instanceof TaskGoneError) {
    return errorEnvelope('FunctionError', `the function's container was removed during the call`);
  }
  if (error instanceof FunkerEmptyReplyError || error instanceof WireConnectionLostError) {
    return errorEnvelope(
      'FunctionError',
      meta.protocol === 'funker'
        ? `the funker handler of "${name}" closed the connection without a reply (it failed)`
        : `the function's container exited during the call`,
    );
  }
  if (error instanceof FunkerIncompleteReplyError || error instanceof FunkerBadReplyError) {
    return errorEnvelope('SystemError', `[swarm] ${error.message}`);
  }
  throw error;
}
