import {
  DeadlineExceededError,
  UnavailableError,
  WireConnectError,
  WireConnection,
  WireConnectionLostError,
  WireReplyTooLargeError,
  errorEnvelope,
  isRunEnvelope,
  isTimedOut,
  runLimitsFromEnv,
  timedOutEnvelope,
} from '@dispatch/core/driver';
import type { InvokeOptions, RunEnvelope, RunRequest } from '@dispatch/core/driver';
import type { FunctionProcess } from './function-process.js';
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
/** Calls that found no connection (never written) and were tried again, on the same process or another. */
const MAX_UNSENT = 3;

/**
 * Calls a function on one of its ready processes, over the process's wire connection, and turns every outcome
 * into an envelope: the function's own, or one describing how its process failed. Throws only when nothing can
 * take the call. A call is tried again only when it was never written to any process.
 */
export async function invokeFunction(fn: LocalFunction, request: RunRequest, options: InvokeOptions): Promise<RunEnvelope> {
  const { deadline, signal } = options;
  const body = JSON.stringify(request);
  let unsent = 0;
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
    let reply: Buffer;
    try {
      const link = process.connect(MAX_REPLY_BYTES);
      const connection = link instanceof WireConnection ? link : await link;
      reply = await connection.call(body, { deadline, signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof WireConnectError) {
        // Never written: the handler did not see the call. A process whose socket refuses is gone or going.
        if (error.errno !== 'ECLOSED') pool.retire(process, true);
        if (++unsent > MAX_UNSENT) {
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

function answered(fn: LocalFunction, pool: ProcessPool, process: FunctionProcess, body: Buffer): RunEnvelope {
  let reply: unknown;
  try {
    reply = JSON.parse(body.toString('utf8'));
  } catch {
    reply = undefined;
  }
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
  if (error instanceof WireConnectionLostError) {
    const exit = process.exit ?? (await exitWithin(process, EXIT_WAIT_MS));
    if (exit !== undefined) {
      const envelope = errorEnvelope('FunctionError', `the function process exited during the call (${process.describeExit()})`);
      return withPrintedLines(envelope, fn, process, sentAt);
    }
    return errorEnvelope('SystemError', `[local] ${error.message}`);
  }
  // The server caps what it sends; a reply past MAX_REPLY_BYTES was skipped, and the connection stays usable.
  if (error instanceof WireReplyTooLargeError) {
    return errorEnvelope(
      'FunctionError',
      `the function's reply is larger than ${MAX_REPLY_BYTES} bytes: a run keeps its output and logs within DISPATCH_MAX_OUTPUT_BYTES and DISPATCH_MAX_LOG_BYTES`,
    );
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
