/**
 * @dispatch/driver-swarm: Dispatch on Docker Swarm. Functions are Swarm services on an attachable overlay
 * network, built with @dispatch/docker-builder and called over funker by their tasks' addresses.
 */
export { createSwarmDriver } from './swarm-driver.js';
export { swarmDriverOptionsFromEnv } from './options-from-env.js';
export type { SwarmDriverOptions } from './swarm-driver.js';
export { resolveTasksByDns } from './call-service.js';
export type { ResolveAddress } from './call-service.js';
