import type { Driver, DispatchLogger } from '@dispatch/core';

export interface DriverContext {
  /** The gateway's data directory; a driver keeps its own files beneath it. */
  dataDir: string;
  logger?: DispatchLogger;
}

export type DriverFactory = (context: DriverContext) => Promise<Driver>;

/**
 * The backends, by name. Each is imported only when chosen, so a gateway on one backend never loads the SDK
 * of another.
 */
export const driverRegistry: Readonly<Record<string, DriverFactory>> = {
  local: async ({ dataDir, logger }) => {
    const { createLocalDriver } = await import('@dispatch/driver-local');
    return createLocalDriver({ dataDir, logger });
  },
  // Settings from the environment: DISPATCH_SWARM_NETWORK, DISPATCH_NODE_IMAGE, DISPATCH_PYTHON_IMAGE, DOCKER_HOST,
  // and DISPATCH_REGISTRY_* to push function images where every node of a multi-node swarm can pull them.
  swarm: async ({ logger }) => {
    const [{ createSwarmDriver }, { createDockerImageBuilder, registryFromEnv }] = await Promise.all([
      import('@dispatch/driver-swarm'),
      import('@dispatch/docker-builder'),
    ]);
    const registry = registryFromEnv();
    return createSwarmDriver({ ...(logger ? { logger } : {}), ...(registry ? { builder: createDockerImageBuilder({ errorPrefix: 'swarm', registry }) } : {}) });
  },
  // Settings from the environment: KUBECONFIG (or in-cluster), DISPATCH_KNATIVE_*, DISPATCH_REGISTRY_*.
  knative: async () => {
    const { createKnativeDriver, knativeDriverOptionsFromEnv } = await import('@dispatch/driver-knative');
    return createKnativeDriver(knativeDriverOptionsFromEnv());
  },
};

export function knownBackends(): string[] {
  return Object.keys(driverRegistry);
}

/** Creates the driver of a backend, or throws naming the backends there are. */
export async function createDriver(backend: string, context: DriverContext): Promise<Driver> {
  const factory = Object.hasOwn(driverRegistry, backend) ? driverRegistry[backend] : undefined;
  if (factory === undefined) {
    throw new Error(`unknown backend "${backend}": DISPATCH_BACKEND must be one of ${knownBackends().join(', ')}`);
  }
  return factory(context);
}
