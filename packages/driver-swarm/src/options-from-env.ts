import { createDockerImageBuilder, registryFromEnv } from '@dispatch/docker-builder';
import type { SwarmDriverOptions } from './swarm-driver.js';

/**
 * The swarm backend's options from the environment, as the gateway and swarm/stack.yml set them:
 * DISPATCH_SWARM_NETWORK (default `dispatch`), and DISPATCH_REGISTRY_URL, _REPOSITORY, _USERNAME, _PASSWORD,
 * _INSECURE to push function images where every node of a multi-node swarm can pull them. The engine comes from
 * DOCKER_HOST, the base images' language images from DISPATCH_NODE_IMAGE and DISPATCH_PYTHON_IMAGE.
 */
export function swarmDriverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SwarmDriverOptions {
  const options: SwarmDriverOptions = {};
  if (env.DISPATCH_SWARM_NETWORK) options.network = env.DISPATCH_SWARM_NETWORK;
  const registry = registryFromEnv(env);
  if (registry) {
    options.registry = registry;
    options.builder = createDockerImageBuilder({ errorPrefix: 'swarm', registry });
  }
  return options;
}
