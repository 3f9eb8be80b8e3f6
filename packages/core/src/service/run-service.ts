import { randomUUID } from 'node:crypto';
import type { Run, RunError } from '../domain/types.js';
import { DispatchError, InvalidInputError, NotFoundError, SchemaValidationError } from '../errors.js';
import type { RunEnvelope, RunRequest } from '../envelope.js';
import type { ExecuteOptions, RunService } from './dispatch-service.js';
import type { FunctionRuntime, FunctionRuntimeCache } from './function-runtime-cache.js';
import { describeSchemaErrors } from './schema-validator.js';
import type { ServiceContext } from './service-context.js';

/** Extra time past a function's own timeout before the driver abandons the call (the runtime answers first). */
const DEADLINE_GRACE_MS = 1000;
/** Prune a function's run history after this many new runs, not on every run. */
const PRUNE_EVERY = 200;

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Runs: a function call with its input, output, logs and error, kept in the history. */
export function createRunService(context: ServiceContext, cache: FunctionRuntimeCache): RunService {
  const runsSincePrune = new Map<string, number>();

  function keepHistory(run: Run): Promise<void> {
    const count = (runsSincePrune.get(run.functionName) ?? 0) + 1;
    runsSincePrune.set(run.functionName, count % PRUNE_EVERY);
    const written = context.store.runs.insert(run);
    if (count >= PRUNE_EVERY) return written.then(() => context.store.runs.prune(run.functionName, context.defaults.runHistory));
    return written;
  }

  /** Calls the function and completes `run` from its envelope; platform failures become a SystemError. */
  async function call(runtime: FunctionRuntime, run: Run, request: RunRequest): Promise<DispatchError | undefined> {
    const started = Date.now();
    let envelope: RunEnvelope;
    let platformError: DispatchError | undefined;
    try {
      envelope = await context.driver.invoke(run.functionName, request, { deadline: started + request.context.timeout + DEADLINE_GRACE_MS });
    } catch (error) {
      platformError = DispatchError.isInstance(error) ? error : new DispatchError(500, `${context.driver.name}: ${(error as Error).message}`, { cause: error });
      envelope = { context: { logs: { stdout: [], stderr: [] }, error: { type: 'SystemError', message: platformError.message } }, payload: null };
    }
    const finished = Date.now();
    let error: RunError | undefined = envelope.context.error ?? undefined;
    if (!error && runtime.validateOut && !runtime.validateOut(envelope.payload)) {
      error = { type: 'FunctionError', message: `the output does not match schema.out: ${describeSchemaErrors(runtime.validateOut.errors, 'output')}` };
    }
    run.output = error ? null : envelope.payload;
    run.logs = { stdout: envelope.context.logs?.stdout ?? [], stderr: envelope.context.logs?.stderr ?? [] };
    run.finishedTime = seconds(finished);
    run.durationMs = finished - started;
    if (error) {
      run.error = error;
      run.status = 'ERROR';
      run.reason = `${error.type}: ${error.message}`;
    } else {
      run.status = 'READY';
    }
    return platformError;
  }

  return {
    async execute(functionName: string, input: unknown, options: ExecuteOptions = {}) {
      if (typeof functionName !== 'string' || functionName === '') throw new InvalidInputError('functionName is required');
      const runtime = await cache.function(functionName);
      const { fn } = runtime;
      if (fn.status !== 'READY' && fn.status !== 'UPDATING') {
        // The Dispatch API answers 404 for a function that exists but cannot run yet.
        throw new NotFoundError(`function "${functionName}" is not READY (status ${fn.status}${fn.reason ? `: ${fn.reason}` : ''})`);
      }
      const payload = input === undefined ? null : input;
      if (runtime.validateIn && !runtime.validateIn(payload)) {
        throw new SchemaValidationError(`the input does not match schema.in of function "${functionName}": ${describeSchemaErrors(runtime.validateIn.errors, 'input')}`);
      }
      const runSecrets = options.secrets ?? [];
      const secrets = await cache.mergedSecrets(runSecrets.length ? [...fn.secrets, ...runSecrets] : fn.secrets);
      const timeout = options.timeoutMs ? Math.min(options.timeoutMs, fn.timeout) : fn.timeout;
      const blocking = options.blocking ?? true;
      const id = randomUUID();
      const now = Date.now();
      const run: Run = {
        name: id,
        id,
        functionName,
        blocking,
        input: payload,
        output: null,
        logs: { stdout: [], stderr: [] },
        secrets: runSecrets,
        status: blocking ? 'CREATING' : 'INITIALIZED',
        reason: '',
        executedTime: seconds(now),
        finishedTime: 0,
      };
      const request: RunRequest = { context: { secrets, timeout, runId: id, functionName }, payload };
      const record = options.record ?? true;

      if (!blocking) {
        await context.store.runs.insert(run);
        context.jobs.start(`run/${id}`, async () => {
          await call(runtime, run, request);
          await context.store.runs.update(run);
        });
        return { ...run };
      }
      const platformError = await call(runtime, run, request);
      if (record) await keepHistory(run);
      if (platformError) throw platformError;
      return run;
    },

    async get(id: string) {
      const run = await context.store.runs.get(id);
      if (!run) throw new NotFoundError(`run "${id}" not found`);
      return run;
    },

    list: (options = {}) => context.store.runs.list(options),
  };
}
