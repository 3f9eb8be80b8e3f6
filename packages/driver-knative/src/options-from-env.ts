import { registryFromEnv } from '@dispatch/docker-builder';
import type { KnativeDriverOptions } from './knative-driver.js';

/**
 * The knative backend's options from the environment, as the gateway and the Helm chart set them:
 * DISPATCH_KNATIVE_NAMESPACE, DISPATCH_KNATIVE_INGRESS, DISPATCH_KNATIVE_IN_CLUSTER (`true`),
 * DISPATCH_KNATIVE_CONTAINER_CONCURRENCY, DISPATCH_KNATIVE_MAX_SCALE, and the registry:
 * DISPATCH_REGISTRY_URL, _REPOSITORY, _USERNAME, _PASSWORD, _INSECURE (`true`).
 */
export function knativeDriverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): KnativeDriverOptions {
  const options: KnativeDriverOptions = {};
  if (env.DISPATCH_KNATIVE_NAMESPACE) options.namespace = env.DISPATCH_KNATIVE_NAMESPACE;
  if (env.DISPATCH_KNATIVE_INGRESS) options.ingressAddress = env.DISPATCH_KNATIVE_INGRESS;
  if (env.DISPATCH_KNATIVE_IN_CLUSTER === 'true') options.inCluster = true;
  if (env.DISPATCH_KNATIVE_CONTAINER_CONCURRENCY) options.containerConcurrency = Number(env.DISPATCH_KNATIVE_CONTAINER_CONCURRENCY);
  if (env.DISPATCH_KNATIVE_MAX_SCALE) options.maxScale = Number(env.DISPATCH_KNATIVE_MAX_SCALE);
  const registry = registryFromEnv(env);
  if (registry) options.registry = registry;
  return options;
}
