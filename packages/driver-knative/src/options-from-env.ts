import { InvalidInputError } from '@dispatch/core/driver';
import { registryFromEnv } from '@dispatch/registry-builder';
import type { KnativeDriverOptions } from './knative-driver.js';

/**
 * The knative backend's options from the environment, as the gateway and the Helm chart set them:
 * DISPATCH_KNATIVE_NAMESPACE, DISPATCH_KNATIVE_INGRESS, DISPATCH_KNATIVE_IN_CLUSTER (`true`),
 * DISPATCH_KNATIVE_CONTAINER_CONCURRENCY, DISPATCH_KNATIVE_MAX_SCALE, the registry: DISPATCH_REGISTRY_URL,
 * _REPOSITORY, _USERNAME, _PASSWORD, _INSECURE (`true`), and the builder: DISPATCH_KNATIVE_BUILDER (`registry` or
 * `docker`; default: `docker` when DOCKER_HOST names an engine, else `registry` when a registry is set), and the
 * build Jobs of the registry builder: DISPATCH_KNATIVE_BUILD_JOB_IMAGE, _RESOURCES (JSON: requests, limits),
 * _TIMEOUT (seconds).
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
  const buildJob: NonNullable<KnativeDriverOptions['buildJob']> = {};
  if (env.DISPATCH_KNATIVE_BUILD_JOB_IMAGE) buildJob.image = env.DISPATCH_KNATIVE_BUILD_JOB_IMAGE;
  if (env.DISPATCH_KNATIVE_BUILD_JOB_RESOURCES)
    buildJob.resources = jsonOption('DISPATCH_KNATIVE_BUILD_JOB_RESOURCES', env.DISPATCH_KNATIVE_BUILD_JOB_RESOURCES);
  if (env.DISPATCH_KNATIVE_BUILD_JOB_TIMEOUT) {
    const seconds = Number(env.DISPATCH_KNATIVE_BUILD_JOB_TIMEOUT);
    if (!Number.isInteger(seconds) || seconds < 1)
      throw new InvalidInputError('DISPATCH_KNATIVE_BUILD_JOB_TIMEOUT must be a whole number of seconds');
    buildJob.timeoutSeconds = seconds;
  }
  if (Object.keys(buildJob).length > 0) options.buildJob = buildJob;
  return options;
}

function jsonOption<T>(name: string, text: string): T {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as T;
  } catch {
    // Reported below.
  }
  throw new InvalidInputError(`${name} must be a JSON object (requests, limits)`);
}
