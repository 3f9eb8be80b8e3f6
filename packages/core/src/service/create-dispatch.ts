import { runLimitsFromEnv } from '../driver/run-limits.js';
import { randomUUID } from 'node:crypto';
import type { EntityKind } from '../domain/types.js';
import { DISPATCH_VERSION } from '../version.js';
import { Autoscaler } from './autoscaler.js';
import { BackgroundJobs } from './background-jobs.js';
import { createBaseImageService } from './base-image-service.js';
import type { CreateDispatchOptions, Dispatch } from './dispatch-service.js';
import { createEndpointService } from './endpoint-service.js';
import { EntityLifecycle } from './entity-lifecycle.js';
import { createFunctionService } from './function-service.js';
import { FunctionRuntimeCache } from './function-runtime-cache.js';
import { createImageService } from './image-service.js';
import { reconcile } from './reconcile.js';
import { createCallbackDelivery } from './callback-delivery.js';
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from './queue-settings.js';
import { RunQueueWorker } from './run-queue-worker.js';
import { createRunService } from './run-service.js';
import { createScheduleService } from './schedule-service.js';
import { Scheduler } from './scheduler.js';
import { createSecretService } from './secret-service.js';
import type { ServiceContext } from './service-context.js';
import { seedDefaults } from './seed-defaults.js';
import { DispatchObservers } from './dispatch-observer.js';

const RECONCILE_LEASE = 'reconcile';
/** Long enough for a reconciliation; a gateway that dies while holding it frees it after this. */
const RECONCILE_LEASE_MS = 5 * 60_000;

/**
 * Assembles Dispatch over a driver and a store, reconciles what the store says with what the backend runs
 * (a gateway restart loses nothing), and on a new install creates the default base images and images.
 */
export async function createDispatch(options: CreateDispatchOptions): Promise<Dispatch> {
  const { driver, store, logger } = options;
  const lifecycle = <K extends EntityKind>(kind: K) => new EntityLifecycle(kind, store);
  const context: ServiceContext = {
    store,
    driver,
    logger,
    observers: new DispatchObservers(),
    jobs: new BackgroundJobs(logger),
    autoscaler: new Autoscaler(driver, logger, options.autoscale),
    lifecycles: {
      baseimage: lifecycle('baseimage'),
      image: lifecycle('image'),
      function: lifecycle('function'),
      secret: lifecycle('secret'),
      endpoint: lifecycle('endpoint'),
      schedule: lifecycle('schedule'),
    },
    defaults: {
      timeoutMs: options.defaultTimeoutMs ?? 30_000,
      runHistory: options.runHistory ?? 1000,
      runLimits: options.runLimits ?? runLimitsFromEnv(),
    },
  };

  const cache = new FunctionRuntimeCache(context);
  const baseImages = createBaseImageService(context);
  const images = createImageService(context);
  const functions = createFunctionService(context);
  images.onRebuilt = (imageName) => void functions.redeployImageUsers(imageName);
  const endpoints = createEndpointService(context);

  await endpoints.reload();
  // Another gateway sharing the store changed an endpoint: the ingress must route by it at once.
  store.watchChanges?.(({ kind }) => {
    if (kind === 'endpoint') endpoints.reload().catch((error: unknown) => logger?.warn({ err: error }, 'could not reload the endpoints'));
  });
  // Gateways sharing a store and starting together reconcile one at a time, never twice over the same state.
  const owner = randomUUID();
  if (await store.leases.acquire(RECONCILE_LEASE, owner, RECONCILE_LEASE_MS)) {
    try {
      await reconcile(context, { baseImages, images, functions });
    } finally {
      await store.leases.release(RECONCILE_LEASE, owner);
    }
  } else {
    logger?.info({}, 'another gateway sharing the store is reconciling it; this one leaves it alone');
  }
  if (options.seedDefaults ?? true) await seedDefaults(context, baseImages, images);

  const queueSettings: QueueSettings = { ...DEFAULT_QUEUE_SETTINGS, ...options.queue };
  const deliver = createCallbackDelivery(context, cache, {
    signingKey: options.callbackSigningKey,
    timeoutMs: queueSettings.callbackTimeoutMs,
  });
  // The worker tells the run service of each finished run (which prunes the history now and then).
  const worker: RunQueueWorker = new RunQueueWorker(context, cache, queueSettings, deliver, (run) => runs.pruneNowAndThen(run));
  const runs = createRunService(context, cache, { worker, settings: queueSettings });
  worker.start();
  const scheduler = options.scheduler === false ? undefined : new Scheduler(context, (schedule, tick) => runs.submitTick(schedule, tick));
  function reloadSchedules(): void {
    scheduler?.reload().catch((error: unknown) => logger?.warn({ err: error }, 'could not reload the schedules'));
  }
  const schedules = createScheduleService(context, reloadSchedules);
  // Another gateway sharing the store changed a schedule: its timer must follow.
  store.watchChanges?.(({ kind }) => {
    if (kind === 'schedule') reloadSchedules();
  });
  reloadSchedules();

  return {
    baseImages,
    images,
    functions,
    secrets: { ...createSecretService(context), values: (name: string) => cache.mergedSecrets([name]) },
    endpoints,
    schedules,
    runs,
    driver,
    store,
    info: () => ({ version: DISPATCH_VERSION, backend: driver.name }),
    observe: (observer) => context.observers.add(observer),
    async close() {
      scheduler?.close();
      await worker.close();
      context.autoscaler.close();
      await context.jobs.close();
      await driver.dispose();
      await store.close();
    },
  };
}
