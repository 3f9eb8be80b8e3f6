import { endpointFunctions } from '../domain/trigger-settings.js';
import type { CreateInput, DispatchFunction, FunctionProtocol, UpdateInput } from '../domain/types.js';
import { normalizeFunctionLimits } from '../domain/function-limits.js';
import { initialReplicas, MAX_REPLICAS, normalizeFunctionScaling, scalingOf } from '../domain/function-scaling.js';
import { assertPositiveInteger, assertStringList, assertStringMap, isImageReference } from '../domain/validation.js';
import { InvalidInputError } from '../errors.js';
import type { DeploySpec } from '../driver/driver.js';
import { decodeSource, inspectSource } from '../source/index.js';
import { defaultHandler } from './default-handler.js';
import { linesOfEarlierRuns, logsAfterHistory } from './logs-history.js';
import type { FunctionService } from './dispatch-service.js';
import { reasonOf } from './entity-lifecycle.js';
import { compilePayloadSchema } from './schema-validator.js';
import { jobKey, type ServiceContext } from './service-context.js';
import { MAX_RUN_ATTEMPTS } from './queue-settings.js';

const MAX_TIMEOUT_MS = 15 * 60_000;
/** How long a deployed function may take to answer before it is marked ERROR. */
const READY_TIMEOUT_MS = 5 * 60_000;

export interface FunctionServiceInternals {
  /** Deploys the function in the background; `scaleOnly` when only its replica count changed and the driver can scale. */
  deploy(name: string, scaleOnly?: boolean): void;
  /** Redeploys every function on an image (its dependencies changed). */
  redeployImageUsers(imageName: string): Promise<void>;
}

type FunctionFields = Omit<DispatchFunction, 'name' | 'id' | 'createdTime' | 'modifiedTime' | 'revision' | 'tags' | 'status' | 'reason'>;

/** The fields whose change needs a new deployment; secrets and schemas apply per run and need none. */
const DEPLOYED_FIELDS: (keyof FunctionFields)[] = [
  'image',
  'source',
  'handler',
  'env',
  'replicas',
  'timeout',
  'protocol',
  'limits',
  'minReplicas',
  'maxReplicas',
  'targetConcurrency',
];

/** The runs whose lines `logs` shows after a restart, on a backend whose logs start empty. */
const HISTORY_RUNS = 50;

export function createFunctionService(context: ServiceContext): FunctionService & FunctionServiceInternals {
  const lifecycle = context.lifecycles.function;
  const images = context.lifecycles.image;
  /** Runs that started before this are not in a backend's in-memory logs (see Driver.logsStartEmpty). */
  const startedAt = Date.now();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Checks and completes a function's fields: references exist, schemas compile, a handler is known. */
  async function normalize(name: string, fields: Partial<FunctionFields>, previous?: DispatchFunction): Promise<FunctionFields> {
    const protocol: FunctionProtocol = fields.protocol ?? previous?.protocol ?? 'dispatch';
    if (protocol !== 'dispatch' && protocol !== 'funker') throw new InvalidInputError(`protocol must be "dispatch" or "funker"`);
    const image = fields.image ?? previous?.image;
    if (typeof image !== 'string' || image === '') throw new InvalidInputError(`function "${name}": image is required`);
    let language = previous?.image === image ? previous.language : undefined;
    if (protocol === 'dispatch' || !isImageReference(image)) language = (await images.get(image)).language;

    const secrets = fields.secrets ?? previous?.secrets ?? [];
    assertStringList(secrets, 'secrets');
    for (const secret of secrets) await context.lifecycles.secret.get(secret);

    const env = fields.env ?? previous?.env ?? {};
    assertStringMap(env, 'env');
    const timeout = fields.timeout ?? previous?.timeout ?? context.defaults.timeoutMs;
    assertPositiveInteger(timeout, 'timeout (ms)', { min: 1, max: MAX_TIMEOUT_MS });
    const replicas = fields.replicas ?? previous?.replicas ?? 1;
    assertPositiveInteger(replicas, 'replicas', { min: 1, max: MAX_REPLICAS });

    const schema = fields.schema ?? previous?.schema ?? {};
    compilePayloadSchema(schema.in, 'schema.in');
    compilePayloadSchema(schema.out, 'schema.out');

    let source = fields.source ?? previous?.source ?? '';
    let handler = fields.handler ?? previous?.handler ?? '';
    if (protocol === 'dispatch') {
      if (typeof source !== 'string' || source === '') throw new InvalidInputError(`function "${name}": source is required`);
      // A given handler is kept across source updates; only a function without one gets the default.
      if (!handler) handler = defaultHandler(language ?? 'nodejs', await inspectSource(decodeSource(source)));
    } else {
      source = typeof source === 'string' ? source : '';
      handler = typeof handler === 'string' ? handler : '';
    }

    const result: FunctionFields = {
      image,
      source,
      handler,
      schema,
      secrets,
      timeout,
      replicas,
      env,
      functionImageURL: previous?.functionImageURL ?? '',
      protocol,
      ...(language ? { language } : {}),
    };
    if (fields.scale ?? previous?.scale) result.scale = fields.scale ?? previous?.scale;
    // `limits: {}` on update removes them (the key stays, undefined, so that it replaces the stored limits).
    result.limits = normalizeFunctionLimits(fields.limits !== undefined ? fields.limits : previous?.limits);
    // Always present, undefined when unset, so that removing them (null) replaces the stored ones.
    const scaling = normalizeFunctionScaling(fields, previous);
    result.minReplicas = scaling.minReplicas;
    result.maxReplicas = scaling.maxReplicas;
    result.targetConcurrency = scaling.targetConcurrency;
    const maxAttempts = fields.maxAttempts ?? previous?.maxAttempts;
    if (maxAttempts !== undefined) {
      assertPositiveInteger(maxAttempts, 'maxAttempts', { min: 1, max: MAX_RUN_ATTEMPTS });
      result.maxAttempts = maxAttempts;
    }
    return result;
  }

  async function specFor(fn: DispatchFunction): Promise<DeploySpec> {
    const imageURL =
      fn.protocol === 'funker' && isImageReference(fn.image)
        ? fn.image
        : (await images.waitUntilReady(fn.image, { signal: context.jobs.signal })).imageURL;
    return {
      name: fn.name,
      revision: fn.revision,
      language: fn.language ?? 'nodejs',
      protocol: fn.protocol,
      imageURL,
      source: fn.source ? decodeSource(fn.source) : Buffer.alloc(0),
      handler: fn.handler,
      env: fn.env,
      replicas: initialReplicas(fn),
      ...(scalingOf(fn) ? { autoscaling: scalingOf(fn) } : {}),
      timeout: fn.timeout,
      ...(fn.limits ? { limits: fn.limits } : {}),
    };
  }

  /** Waits until the driver says the function answers calls, or failed, or the wait is over. */
  async function waitForDriver(name: string, isCurrent: () => boolean): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      const status = await context.driver.status(name);
      if (status.ready) return;
      if (status.failed) throw new Error(status.reason ?? 'the function failed to start');
      if (!isCurrent()) return;
      context.jobs.signal.throwIfAborted();
      if (Date.now() > deadline) throw new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${status.reason ?? 'no replica answers'}`);
      await sleep(delay);
    }
  }

  const service: FunctionService & FunctionServiceInternals = {
    deploy(name: string, scaleOnly = false): void {
      context.jobs.start(jobKey('function', name), async (isCurrent) => {
        // Set once the backend deploys (the wait for the image is the image's build, measured there).
        let deployStarted: number | undefined;
        try {
          const fn = await lifecycle.get(name);
          if (scaleOnly && context.driver.scale) {
            // Nothing to build or roll out: the running function gets more or fewer replicas.
            await context.driver.scale(name, initialReplicas(fn));
            await waitForDriver(name, isCurrent);
            if (!isCurrent()) return;
            context.autoscaler.deployed(fn, initialReplicas(fn));
            await lifecycle.setStatus(name, 'READY', '');
            return;
          }
          const spec = await specFor(fn);
          if (!isCurrent()) return;
          if (fn.status !== 'UPDATING') await lifecycle.setStatus(name, 'CREATING');
          deployStarted = performance.now();
          const result = await context.driver.deploy(spec, lifecycle.progressListener(name));
          await waitForDriver(name, isCurrent);
          if (!isCurrent()) return;
          context.autoscaler.deployed(fn, spec.replicas);
          context.observers.buildFinished({ kind: 'function', name, ok: true, durationMs: performance.now() - deployStarted });
          await lifecycle.setStatus(name, 'READY', '', result.functionImageURL ? { functionImageURL: result.functionImageURL } : {});
        } catch (error) {
          if (deployStarted !== undefined)
            context.observers.buildFinished({ kind: 'function', name, ok: false, durationMs: performance.now() - deployStarted });
          if (isCurrent()) await lifecycle.setStatus(name, 'ERROR', reasonOf(error));
        }
      });
    },

    async redeployImageUsers(imageName: string) {
      for (const fn of await lifecycle.repo.list()) {
        if (fn.image !== imageName || fn.status === 'DELETING') continue;
        await lifecycle.setStatus(fn.name, fn.status === 'READY' ? 'UPDATING' : 'INITIALIZED', `image "${imageName}" was rebuilt`);
        service.deploy(fn.name);
      }
    },

    async create(input: CreateInput<DispatchFunction>) {
      const meta = lifecycle.newMeta(input.name, input.tags);
      const entity: DispatchFunction = { ...meta, ...(await normalize(meta.name, input)) };
      await lifecycle.insert(entity);
      service.deploy(entity.name);
      return entity;
    },

    get: (name) => lifecycle.get(name),
    list: (filter) => lifecycle.repo.list(filter),

    async update(name: string, input: UpdateInput<DispatchFunction>) {
      const current = await lifecycle.get(name);
      const fields = await normalize(name, input, current);
      let redeploy = false;
      let scaleOnly = false;
      const updated = await lifecycle.modify(
        name,
        (latest) => {
          const changed = DEPLOYED_FIELDS.filter((field) => JSON.stringify(fields[field]) !== JSON.stringify(latest[field]));
          redeploy = latest.status === 'ERROR' || changed.length > 0;
          // A platform that autoscales by itself reads the replicas with the bounds, on deploy.
          const autoscaledElsewhere = context.driver.scalesItself === true && scalingOf(fields) !== undefined;
          scaleOnly = latest.status === 'READY' && changed.length === 1 && changed[0] === 'replicas' && !autoscaledElsewhere;
          const next: DispatchFunction = { ...latest, ...fields, tags: input.tags ?? latest.tags };
          return redeploy ? { ...next, status: latest.status === 'READY' ? 'UPDATING' : 'INITIALIZED', reason: '' } : next;
        },
        input.revision,
      );
      if (redeploy) service.deploy(name, scaleOnly);
      return updated;
    },

    async delete(name: string) {
      const fn = await lifecycle.get(name);
      const users = (await context.lifecycles.endpoint.repo.list()).filter((endpoint) => endpointFunctions(endpoint).includes(name));
      const schedules = (await context.lifecycles.schedule.repo.list()).filter((schedule) => schedule.function === name);
      lifecycle.assertUnused(name, [
        ...users.map((endpoint) => `endpoint "${endpoint.name}"`),
        ...schedules.map((schedule) => `schedule "${schedule.name}"`),
      ]);
      context.jobs.cancel(jobKey('function', name));
      await lifecycle.setStatus(name, 'DELETING');
      try {
        await context.driver.remove(name);
      } catch (error) {
        await lifecycle.setStatus(name, 'ERROR', `could not remove it from the ${context.driver.name} backend: ${reasonOf(error)}`);
        throw error;
      }
      context.autoscaler.forget(name);
      await lifecycle.remove(name);
      await context.store.runs.deleteForFunction(name);
      return { ...fn, status: 'DELETING' };
    },

    async logs(name, options = {}) {
      await lifecycle.get(name);
      const { driver } = context;
      if (!driver.logs) throw new InvalidInputError(`the ${driver.name} backend keeps no function logs`);
      if (!driver.logsStartEmpty) return driver.logs(name, options);
      const history = linesOfEarlierRuns(await context.store.runs.list({ functionName: name, limit: HISTORY_RUNS }), startedAt);
      const open = driver.logs.bind(driver);
      return logsAfterHistory(history, (logOptions) => open(name, logOptions), options);
    },

    watch: (name, options) => lifecycle.watch(name, options),

    waitUntilReady: (name, options) => lifecycle.waitUntilReady(name, options),
  };
  return service;
}
