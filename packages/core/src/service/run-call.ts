import type { Run, RunError } from '../domain/types.js';
import { DeadlineExceededError, DispatchError, NotFoundError } from '../errors.js';
import type { RunEnvelope, RunRequest } from '../envelope.js';
import { capRunLogs } from '../driver/run-limits.js';
import { unstorableOutput } from './run-storable.js';
import type { FunctionRuntime, FunctionRuntimeCache } from './function-runtime-cache.js';
import { EntityFailedError } from './entity-lifecycle.js';
import { describeSchemaErrors } from './schema-validator.js';
import type { ServiceContext } from './service-context.js';

/** Extra time past a function's own timeout before the driver abandons the call (the runtime answers first). */
const DEADLINE_GRACE_MS = 1000;

export const seconds = (ms: number) => Math.floor(ms / 1000);

/** A function in these statuses answers once its deploy ends (a create, a restart's reconciliation): calls wait. */
const STARTING = new Set(['INITIALIZED', 'CREATING']);

/**
 * The function to call, once it can take calls: a function being deployed holds the call until it is READY,
 * for at most the call's timeout. Answers the milliseconds the call was held, when it was.
 * @throws NotFoundError when the function does not exist, failed, or is being deleted
 * @throws DeadlineExceededError when it did not become READY within the timeout
 */
export async function runnableFunction(
  context: ServiceContext,
  cache: FunctionRuntimeCache,
  name: string,
  timeoutMs?: number,
): Promise<{ runtime: FunctionRuntime; heldMs?: number }> {
  const runtime = await cache.function(name);
  const { fn } = runtime;
  if (fn.status === 'READY' || fn.status === 'UPDATING') return { runtime };
  if (STARTING.has(fn.status)) {
    const started = Date.now();
    const waitMs = timeoutMs ? Math.min(timeoutMs, fn.timeout) : fn.timeout;
    try {
      await context.lifecycles.function.waitUntilReady(name, { timeoutMs: waitMs, signal: context.jobs.signal });
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        throw new DeadlineExceededError(`function "${name}" was still starting after the call's ${waitMs} ms (status ${fn.status})`);
      }
      if (!(error instanceof EntityFailedError)) throw error;
      throw new NotFoundError(`function "${name}" is not READY (${error.message})`);
    }
    return { runtime: await cache.function(name), heldMs: Date.now() - started };
  }
  // The Dispatch API answers 404 for a function that exists but cannot run.
  throw new NotFoundError(`function "${name}" is not READY (status ${fn.status}${fn.reason ? `: ${fn.reason}` : ''})`);
}

/** The request the function gets for `run`: its input, the merged secrets, and the timeout. */
export async function requestFor(cache: FunctionRuntimeCache, runtime: FunctionRuntime, run: Run, timeoutMs?: number): Promise<RunRequest> {
  const { fn } = runtime;
  const secrets = await cache.mergedSecrets(run.secrets.length ? [...fn.secrets, ...run.secrets] : fn.secrets);
  const timeout = timeoutMs ? Math.min(timeoutMs, fn.timeout) : fn.timeout;
  return { context: { secrets, timeout, runId: run.id, functionName: run.functionName }, payload: run.input };
}

/**
 * Calls the function and completes `run` from its envelope (output, logs, error, status, times). Answers the
 * platform's failure when the call itself failed (the run then carries a SystemError), undefined otherwise.
 */
export async function callFunction(
  context: ServiceContext,
  runtime: FunctionRuntime,
  run: Run,
  request: RunRequest,
): Promise<DispatchError | undefined> {
  const started = Date.now();
  // The call's duration to the microsecond: the gateway's overhead is measured against it.
  const startedPrecisely = performance.now();
  let envelope: RunEnvelope;
  let platformError: DispatchError | undefined;
  const { autoscaler } = context;
  // A function scaled to zero holds the call until a replica answers, within the call's timeout.
  const held = autoscaler.enter(runtime.fn, started + request.context.timeout);
  let counted = true;
  context.observers.callStarted(run.functionName);
  try {
    if (held !== undefined) {
      counted = false;
      const heldMs = await held;
      run.coldStartMs = (run.coldStartMs ?? 0) + heldMs;
      context.observers.coldStart({ functionName: run.functionName, durationMs: heldMs });
      counted = true;
    }
    envelope = await context.driver.invoke(run.functionName, request, {
      deadline: Date.now() + request.context.timeout + DEADLINE_GRACE_MS,
    });
  } catch (error) {
    platformError = DispatchError.isInstance(error)
      ? error
      : new DispatchError(500, `${context.driver.name}: ${(error as Error).message}`, { cause: error });
    envelope = {
      context: { logs: { stdout: [], stderr: [] }, error: { type: 'SystemError', message: platformError.message } },
      payload: null,
    };
  } finally {
    if (counted) autoscaler.leave(run.functionName);
  }
  const finished = Date.now();
  const durationMs = Math.round((performance.now() - startedPrecisely) * 1000) / 1000;
  let error: RunError | undefined = envelope.context.error ?? undefined;
  if (!error && runtime.validateOut && !runtime.validateOut(envelope.payload)) {
    error = {
      type: 'FunctionError',
      message: `the output does not match schema.out: ${describeSchemaErrors(runtime.validateOut.errors, 'output')}`,
    };
  }
  const { maxOutputBytes, maxLogBytes } = context.defaults.runLimits;
  if (!error) error = unstorableOutput(envelope.payload, maxOutputBytes);
  run.output = error ? null : envelope.payload;
  // The function servers cap their logs already; this holds for any backend and any server version.
  run.logs = capRunLogs({ stdout: envelope.context.logs?.stdout ?? [], stderr: envelope.context.logs?.stderr ?? [] }, maxLogBytes);
  run.finishedTime = seconds(finished);
  run.durationMs = durationMs;
  if (error) {
    run.error = error;
    run.status = 'ERROR';
    run.reason = `${error.type}: ${error.message}`;
  } else {
    delete run.error;
    run.status = 'READY';
    run.reason = '';
  }
  context.observers.callFinished(run);
  return platformError;
}
