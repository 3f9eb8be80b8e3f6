import { randomUUID } from 'node:crypto';
import type { Run, Schedule } from '../domain/types.js';
import type { ScheduleTick } from '../store/store.js';
import { InvalidInputError, NotFoundError, SchemaValidationError, TooManyRequestsError } from '../errors.js';
import type { ExecuteOptions, RunService } from './dispatch-service.js';
import type { FunctionRuntimeCache } from './function-runtime-cache.js';
import { MAX_RUN_ATTEMPTS, type QueueSettings } from './queue-settings.js';
import { callFunction, requestFor, runnableFunction, seconds } from './run-call.js';
import type { RunQueueWorker } from './run-queue-worker.js';
import { assertStorableInput } from './run-storable.js';
import { describeSchemaErrors } from './schema-validator.js';
import type { ServiceContext } from './service-context.js';

/** Prune a function's run history after this many new runs, not on every run. */
const PRUNE_EVERY = 200;
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Runs: a function call with its input, output, logs and error, kept in the history. */
export function createRunService(
  context: ServiceContext,
  cache: FunctionRuntimeCache,
  queue: { worker: RunQueueWorker; settings: QueueSettings },
): RunService & { pruneNowAndThen(run: Run): void; submitTick(schedule: Schedule, tick: ScheduleTick): Promise<boolean> } {
  const runsSincePrune = new Map<string, number>();

  /** Prunes the function's history once every PRUNE_EVERY finished runs. */
  function pruneNowAndThen(run: Run): void {
    const count = (runsSincePrune.get(run.functionName) ?? 0) + 1;
    runsSincePrune.set(run.functionName, count % PRUNE_EVERY);
    if (count < PRUNE_EVERY) return;
    context.store.runs.prune(run.functionName, context.defaults.runHistory).catch((error: unknown) => {
      context.logger?.warn({ err: error, function: run.functionName }, 'could not prune the run history');
    });
  }

  function checkAsyncOptions(options: ExecuteOptions): void {
    const { maxAttempts, callbackURL, idempotencyKey } = options;
    if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_RUN_ATTEMPTS)) {
      throw new InvalidInputError(`maxAttempts must be an integer from 1 to ${MAX_RUN_ATTEMPTS}`);
    }
    if (callbackURL !== undefined && !/^https?:\/\/[^/]/i.test(callbackURL)) {
      throw new InvalidInputError(`the callback URL must be an http:// or https:// URL, not "${callbackURL}"`);
    }
    if (callbackURL !== undefined && !URL.canParse(callbackURL))
      throw new InvalidInputError(`the callback URL "${callbackURL}" is not a valid URL`);
    if (idempotencyKey !== undefined && (idempotencyKey === '' || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw new InvalidInputError(`an idempotency key has 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
    }
    if (!(options.blocking ?? true) && queue.worker.full()) {
      throw new TooManyRequestsError(`the async run queue is full (${queue.settings.maxQueued} runs waiting); try again later`);
    }
  }

  return {
    pruneNowAndThen,

    /**
     * Queues the async run of a schedule's tick, claiming the tick in the same transaction: false when the tick
     * (or a later one) was claimed already, by this gateway or another sharing the store. Like any async run, it
     * waits in the queue while its function is being deployed (after a restart, say).
     */
    async submitTick(schedule: Schedule, tick: ScheduleTick) {
      checkAsyncOptions({ blocking: false });
      const runtime = await cache.function(schedule.function);
      const payload = schedule.input ?? null;
      if (runtime.validateIn && !runtime.validateIn(payload)) {
        throw new SchemaValidationError(
          `the input of schedule "${schedule.name}" does not match schema.in of function "${schedule.function}": ${describeSchemaErrors(runtime.validateIn.errors, 'input')}`,
        );
      }
      const run = newRun(schedule.function, payload, false, [], Date.now());
      run.schedule = schedule.name;
      run.scheduledTime = seconds(tick.time);
      const { created } = await context.store.queue.submit(run, { tick });
      if (created) queue.worker.wake();
      return created;
    },

    async execute(functionName: string, input: unknown, options: ExecuteOptions = {}) {
      if (typeof functionName !== 'string' || functionName === '') throw new InvalidInputError('functionName is required');
      const blocking = options.blocking ?? true;
      if (!blocking) checkAsyncOptions(options);
      // An async run waits in the queue instead; a blocking one waits here for a function being deployed.
      const { runtime, heldMs } = blocking
        ? await runnableFunction(context, cache, functionName, options.timeoutMs)
        : { runtime: await cache.function(functionName) };
      const { fn } = runtime;
      if (!blocking && (fn.status === 'ERROR' || fn.status === 'DELETING')) {
        throw new NotFoundError(`function "${functionName}" is not READY (status ${fn.status}${fn.reason ? `: ${fn.reason}` : ''})`);
      }
      const payload = input === undefined ? null : input;
      assertStorableInput(payload);
      if (runtime.validateIn && !runtime.validateIn(payload)) {
        throw new SchemaValidationError(
          `the input does not match schema.in of function "${functionName}": ${describeSchemaErrors(runtime.validateIn.errors, 'input')}`,
        );
      }
      const now = Date.now();
      const run = newRun(functionName, payload, blocking, options.secrets ?? [], now);
      if (heldMs !== undefined) {
        run.coldStartMs = heldMs;
        context.observers.coldStart({ functionName, durationMs: heldMs });
      }

      if (!blocking) {
        // Written (with its queue entry) before the caller hears of it: from here on, no crash loses it.
        if (options.maxAttempts !== undefined) run.maxAttempts = options.maxAttempts;
        if (options.callbackURL !== undefined) run.callbackURL = options.callbackURL;
        if (options.idempotencyKey !== undefined) run.dedupeKey = options.idempotencyKey;
        // Secrets named by the run must exist now, not fail later in the queue.
        await cache.mergedSecrets(run.secrets);
        const submitted = await context.store.queue.submit(run, {
          dedupeKey: options.idempotencyKey,
          dedupeSince: seconds(now - queue.settings.idempotencyWindowMs),
        });
        if (submitted.created) queue.worker.wake();
        return submitted.run;
      }
      const request = await requestFor(cache, runtime, run, options.timeoutMs);
      const platformError = await callFunction(context, runtime, run, request);
      if (options.record ?? true) {
        await context.store.runs.insert(run);
        pruneNowAndThen(run);
      }
      if (platformError) throw platformError;
      return run;
    },

    async get(id: string) {
      const run = await context.store.runs.get(id);
      if (!run) throw new NotFoundError(`run "${id}" not found`);
      return run;
    },

    list: (options = {}) => context.store.runs.list(options),

    async requeue(id: string) {
      const run = await context.store.runs.get(id);
      if (!run) throw new NotFoundError(`run "${id}" not found`);
      if (!run.deadLettered)
        throw new InvalidInputError(`run "${id}" is not a dead letter (status ${run.status}); only dead letters are re-queued`);
      const again: Run = {
        ...run,
        status: 'INITIALIZED',
        reason: `re-queued after ${run.reason}`,
        deadLettered: false,
        output: null,
        finishedTime: 0,
      };
      delete again.error;
      delete again.callback;
      await context.store.queue.requeue(again, 'run');
      queue.worker.wake();
      return again;
    },
  };
}

/** A run about to start (blocking) or be queued (async). */
function newRun(functionName: string, input: unknown, blocking: boolean, secrets: string[], now: number): Run {
  const id = randomUUID();
  return {
    name: id,
    id,
    functionName,
    blocking,
    input,
    output: null,
    logs: { stdout: [], stderr: [] },
    secrets,
    status: blocking ? 'CREATING' : 'INITIALIZED',
    reason: '',
    executedTime: seconds(now),
    finishedTime: 0,
  };
}
