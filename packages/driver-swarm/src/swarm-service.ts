import { ConflictError } from '@dispatch/core/driver';
import { engineError } from '@dispatch/docker-builder';
import type Dockerode from 'dockerode';
import type { FunctionMeta } from './invoke-function.js';
import { LABELS } from './service-spec.js';

/** The service of a function, or undefined; a service of that name that Dispatch does not manage is a conflict. */
export async function inspectService(docker: Dockerode, name: string): Promise<Dockerode.Service | undefined> {
  try {
    const service = (await docker.getService(name).inspect()) as Dockerode.Service;
    if ((service.Spec as Dockerode.ServiceSpec | undefined)?.Labels?.[LABELS.managed] !== 'true') {
      throw new ConflictError(`[swarm] a Swarm service named "${name}" exists and is not managed by Dispatch`);
    }
    return service;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw engineError('swarm', docker, `inspecting service "${name}"`, error);
  }
}

/** What a call needs to know about a function, from its service's labels. */
export function metaOfService(service: Dockerode.Service): FunctionMeta {
  const labels = (service.Spec as Dockerode.ServiceSpec).Labels ?? {};
  return {
    protocol: labels[LABELS.protocol] === 'funker' ? 'funker' : 'dispatch',
    timeout: Number(labels[LABELS.timeout] ?? 0) || 0,
  };
}

/**
 * Waits (a minute at most) until a rolling update has replaced every task, so that once deploy returns, calls
 * reach the new revision only. A rollout that pauses (its new task fails) ends the wait: status() tells why.
 */
export async function waitForRollout(docker: Dockerode, name: string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const service = await inspectService(docker, name);
    const state = (service as { UpdateStatus?: { State?: string } } | undefined)?.UpdateStatus?.State;
    if (service === undefined || state === undefined || !['updating', 'rollback_started'].includes(state)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Updates a service, with the registry login (`X-Registry-Auth`) when there is one; without, Swarm keeps the login
 * the service was created with. (dockerode takes the login as a first argument, which its types do not declare.)
 */
export function updateService(
  docker: Dockerode,
  name: string,
  authconfig: Dockerode.AuthConfig | undefined,
  body: object,
): Promise<unknown> {
  const service = docker.getService(name) as unknown as {
    update(auth: Dockerode.AuthConfig | undefined, options: object): Promise<unknown>;
  };
  return service.update(authconfig, body);
}
