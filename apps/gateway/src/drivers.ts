import { NoSuchBackendError } from '@dispatch/core';
import type { Driver, DispatchLogger } from '@dispatch/core';

export interface DriverContext {
  /** The gateway's data directory; a driver keeps its own files beneath it. */
  dataDir: string;
  logger?: DispatchLogger;
}

export type DriverFactory = (context: DriverContext) => Promise<Driver>;

/**
 * The backends, by name. Each is imported only when chosen, so a gateway on one backend never loads the SDK
 * of another; each reads its settings from the environment in its own `…OptionsFromEnv()`.
 */
export const driverRegistry: Readonly<Record<string, DriverFactory>> = {
  local: async ({ dataDir, logger }) => {
    const { createLocalDriver, localDriverOptionsFromEnv } = await import('@dispatch/driver-local');
    return createLocalDriver({ ...localDriverOptionsFromEnv(), dataDir, logger });
  },
  swarm: async ({ logger }) => {
    const { createSwarmDriver, swarmDriverOptionsFromEnv } = await import('@dispatch/driver-swarm');
    return createSwarmDriver({ ...swarmDriverOptionsFromEnv(), logger });
  },
  knative: async () => {
    const { createKnativeDriver, knativeDriverOptionsFromEnv } = await import('@dispatch/driver-knative');
    return createKnativeDriver(knativeDriverOptionsFromEnv());
  },
};

export function knownBackends(): string[] {
  return Object.keys(driverRegistry);
}

/** The factory of a backend. @throws NoSuchBackendError naming the backends there are */
export function driverFactory(backend: string): DriverFactory {
  const factory = Object.hasOwn(driverRegistry, backend) ? driverRegistry[backend] : undefined;
  if (factory === undefined) throw new NoSuchBackendError(backend, knownBackends());
  return factory;
}

/** Creates the driver of a backend. @throws NoSuchBackendError naming the backends there are */
export async function createDriver(backend: string, context: DriverContext): Promise<Driver> {
  return driverFactory(backend)(context);
}
