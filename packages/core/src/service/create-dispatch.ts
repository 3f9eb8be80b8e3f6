import type { EntityKind } from '../domain/types.js';
import { DISPATCH_VERSION } from '../version.js';
import { BackgroundJobs } from './background-jobs.js';
import { createBaseImageService } from './base-image-service.js';
import type { CreateDispatchOptions, Dispatch } from './dispatch-service.js';
import { createEndpointService } from './endpoint-service.js';
import { EntityLifecycle } from './entity-lifecycle.js';
import { createFunctionService } from './function-service.js';
import { FunctionRuntimeCache } from './function-runtime-cache.js';
import { createImageService } from './image-service.js';
import { reconcile } from './reconcile.js';
import { createRunService } from './run-service.js';
import { createSecretService } from './secret-service.js';
import type { ServiceContext } from './service-context.js';
import { seedDefaults } from './seed-defaults.js';

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
    jobs: new BackgroundJobs(logger),
    lifecycles: {
      baseimage: lifecycle('baseimage'),
      image: lifecycle('image'),
      function: lifecycle('function'),
      secret: lifecycle('secret'),
      endpoint: lifecycle('endpoint'),
    },
    defaults: { timeoutMs: options.defaultTimeoutMs ?? 30_000, runHistory: options.runHistory ?? 1000 },
  };

  const cache = new FunctionRuntimeCache(context);
  const baseImages = createBaseImageService(context);
  const images = createImageService(context);
  const functions = createFunctionService(context);
  images.onRebuilt = (imageName) => void functions.redeployImageUsers(imageName);
  const endpoints = createEndpointService(context);

  await endpoints.reload();
  await reconcile(context, { baseImages, images, functions });
  if (options.seedDefaults ?? true) await seedDefaults(context, baseImages, images);

  return {
    baseImages,
    images,
    functions,
    secrets: createSecretService(context),
    endpoints,
    runs: createRunService(context, cache),
    driver,
    store,
    info: () => ({ version: DISPATCH_VERSION, backend: driver.name }),
    async close() {
      await context.jobs.close();
      await driver.dispose();
      await store.close();
    },
  };
}
