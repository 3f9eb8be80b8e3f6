import { InvalidInputError } from '@dispatch/core/driver';
import { registryFromEnv } from '@dispatch/registry-builder';
import type { KnativeDriverOptions } from './knative-driver.js';

/**
 * The knative backend's options from the environment, as the gateway and the Helm chart set them:
 * DISPATCH_KNATIVE_NAMESPACE, DISPATCH_KNATIVE_INGRESS, DISPATCH_KNATIVE_IN_CLUSTER (`true`),
 * DISPATCH_KNATIVE_CONTAINER_CONCURRENCY, DISPATCH_KNATIVE_MAX_SCALE, the registry: DISPATCH_REGISTRY_URL,
 * _REPOSITORY, _USERNAME, _PASSWORD, _INSECURE (`true`), and the builder: DISPATCH_KNATIVE_BUILDER (`registry` or
 * `docker`; default: `docker` when DOCKER_HOST names an engine, else `registry` when a registry is set).
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
  const builder = env.DISPATCH_KNATIVE_BUILDER || (env.DOCKER_HOST ? 'docker' : undefined);
  if (builder !== undefined && builder !== 'registry' && builder !== 'docker') {
    throw new InvalidInputError(`DISPATCH_KNATIVE_BUILDER must be "registry" or "docker", not "${builder}"`);
  }
  if (builder !== undefined) options.builder = builder;
  return options;
}
