import {
  DeadlineExceededError,
  FunkerBadReplyError,
  FunkerConnectError,
  FunkerEmptyReplyError,
  FunkerIncompleteReplyError,
  FunkerReplyTooLargeError,
  UnavailableError,
  errorEnvelope,
  funkerCall,
  isRunEnvelope,
  isTimedOut,
  runLimitsFromEnv,
  timedOutEnvelope,
} from '@dispatch/core/driver';
import type { InvokeOptions, RunEnvelope, RunRequest } from '@dispatch/core/driver';
import type { FunctionProcess } from './function-process.js';
import { LOOPBACK } from './launch-spec.js';
import type { LocalFunction } from './local-function.js';
import type { ProcessPool } from './process-pool.js';

/** How long to wait for the exit of a process that dropped a call, to report its exit code. */
const EXIT_WAIT_MS = 1000;
/**
 * The largest reply read from a function server: its output and logs are capped by the server already, so this
 * only stops a server that does not cap (JSON escaping may grow log text up to six times).
 */
const MAX_REPLY_BYTES = (() => {
  const { maxOutputBytes, maxLogBytes } = runLimitsFromEnv();
  return maxOutputBytes + 6 * maxLogBytes + 1024 * 1024;
})();
/** Refused connections tried on other processes before giving up. */
const MAX_REFUSED = 3;

/**
 * Calls a function on one of its ready processes and turns every outcome into an envelope: the
 * function's own, or one describing how its process failed. Throws only when nothing can take the call.
 */
export async function invokeFunction(fn: LocalFunction, request: RunRequest, options: InvokeOptions): Promise<RunEnvelope> {
  const { deadline, signal } = options;
  let refused = 0;
  for (;;) {
    const pool = fn.active;
    if (pool === undefined) throw fn.unavailable();
    let process = pool.pick();
    if (process === undefined) {
      try {
        process = await pool.acquire(deadline, signal);
      } catch (error) {
        // An update switched pools while this call waited on the old one.
        if (fn.active !== undefined && fn.active !== pool) continue;
        throw error;
      }
    }

    process.inflight++;
    const sentAt = Date.now();
    let reply: unknown;
    try {
      reply = await funkerCall(request, { host: LOOPBACK, port: process.port, deadline, signal, maxReplyBytes: MAX_REPLY_BYTES });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof FunkerConnectError && error.errno === 'ECONNREFUSED') {
        // Nothing listens any more: the process is gone or going, and the handler never saw the request.
        pool.retire(process, true);
        if (++refused > MAX_REFUSED) {
          throw new UnavailableError(`[local] function "${fn.name}": its processes refuse connections`, { cause: error });
        }
        continue;
      }
      return await failedCall(fn, pool, process, request, error, { sentAt, deadline });
    } finally {
      pool.release(process);
    }
    return answered(fn, pool, process, reply);
  }
}

function answered(fn: LocalFunction, pool: ProcessPool, process: FunctionProcess, reply: unknown): RunEnvelope {
  if (!isRunEnvelope(reply)) {
    return errorEnvelope('SystemError', `[local] the function server of "${fn.name}" answered something that is not a run envelope`);
  }
  const context = reply.context;
  // The call's lines reached `logs` already, as they were printed (the server tees them to its own streams).
  if (context.logs === undefined || context.logs === null) context.logs = { stdout: [], stderr: [] };
  // The server answered the timeout, but the handler may still be running (a Python thread cannot be
  // stopped): replace the process once its calls are done.
  if (isTimedOut(reply)) pool.retire(process, false);
  return reply;
}

async function failedCall(
  fn: LocalFunction,
  pool: ProcessPool,
  process: FunctionProcess,
  request: RunRequest,
  error: unknown,
  { sentAt, deadline }: { sentAt: number; deadline: number },
): Promise<RunEnvelope> {
  if (error instanceof DeadlineExceededError) {
    // No answer by the deadline, not even the server's own timeout reply: the process is stuck (a
    // synchronous loop). Only kill it if the call actually reached it before the deadline.
    const timeout = request.context?.timeout || fn.timeoutMs;
    if (sentAt >= deadline) return timedOutEnvelope(timeout);
    pool.retire(process, true);
    return withPrintedLines(timedOutEnvelope(timeout), fn, process, sentAt);
  }
  if (
    error instanceof FunkerConnectError ||
    error instanceof FunkerEmptyReplyError ||
    error instanceof FunkerIncompleteReplyError
  ) {
    const exit = process.exit ?? (await exitWithin(process, EXIT_WAIT_MS));
    if (exit !== undefined) {
      const envelope = errorEnvelope('FunctionError', `the function process exited during the call (${process.describeExit()})`);
      return withPrintedLines(envelope, fn, process, sentAt);
    }
    return errorEnvelope('SystemError', `[local] ${error.message}`);
  }
  if (error instanceof FunkerBadReplyError) return errorEnvelope('SystemError', `[local] ${error.message}`);
  // A reply past MAX_REPLY_BYTES: the function sent more than a run keeps; the process may be mid-write, replace it.
  if (error instanceof FunkerReplyTooLargeError) {
    pool.retire(process, true);
    return errorEnvelope('FunctionError', `the function's reply is larger than ${MAX_REPLY_BYTES} bytes: a run keeps its output and logs within DISPATCH_MAX_OUTPUT_BYTES and DISPATCH_MAX_LOG_BYTES`);
  }
  throw error;
}

function exitWithin(process: FunctionProcess, ms: number): Promise<FunctionProcess['exit']> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void process.exited.then((exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
}

/**
 * Gives a call that got no reply the lines its process printed since the call was sent (with other calls in
 * flight on the same process, theirs too): they reach the driver on the process's own streams, read to their end.
 */
async function withPrintedLines(envelope: RunEnvelope, fn: LocalFunction, process: FunctionProcess, sentAt: number): Promise<RunEnvelope> {
  await Promise.race([process.drained, new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS))]);
  envelope.context.logs = fn.logs.printedSince(process.source, sentAt);
  return envelope;
}
