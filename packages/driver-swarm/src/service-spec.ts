import type Dockerode from 'dockerode';
import type { DeploySpec } from '@dispatch/core/driver';

/** Labels every service of Dispatch carries; `list()` and reconciliation select on `dispatch.managed=true`. */
export const LABELS = {
  function: 'dispatch.function',
  revision: 'dispatch.revision',
  managed: 'dispatch.managed',
  protocol: 'dispatch.protocol',
  timeout: 'dispatch.timeout',
} as const;

/** How a function's service is laid out on the Swarm. */
export interface ServiceSettings {
  network: string;
  endpointMode: 'dnsrr' | 'vip';
  funkerPort: number;
  /** Nanoseconds Swarm waits before restarting a task that exited; small, so a one-shot funker handler is back at once. */
  restartDelayNs: number;
}

const SECOND_NS = 1_000_000_000;

/**
 * The Swarm service of a function. The service is named after the function (function names are DNS-1123
 * labels of at most 63 characters, which is also Swarm's limit), so that `<name>` and `tasks.<name>` resolve
 * on the overlay network exactly as funker expects.
 */
export function serviceSpec(spec: DeploySpec, image: string, replicas: number, settings: ServiceSettings): Dockerode.ServiceSpec {
  const env: Record<string, string> = { ...spec.env };
  if (spec.protocol !== 'funker') {
    // The function server's own settings win over the function's env: the driver calls it on this port.
    Object.assign(env, {
      DISPATCH_MODE: 'funker',
      DISPATCH_FUNKER_PORT: String(settings.funkerPort),
      DISPATCH_TIMEOUT_MS: String(spec.timeout > 0 ? Math.floor(spec.timeout) : 0),
      DISPATCH_TEE_LOGS: '1',
    });
  }
  return {
    Name: spec.name,
    Labels: {
      [LABELS.function]: spec.name,
      [LABELS.revision]: String(spec.revision),
      [LABELS.managed]: 'true',
      [LABELS.protocol]: spec.protocol,
      [LABELS.timeout]: String(spec.timeout),
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
        Labels: { [LABELS.function]: spec.name, [LABELS.managed]: 'true' },
        StopGracePeriod: 2 * SECOND_NS,
      },
      ...(resourceLimits(spec) ? { Resources: { Limits: resourceLimits(spec) } } : {}),
      RestartPolicy: { Condition: 'any', Delay: settings.restartDelayNs, MaxAttempts: 0 },
      Networks: [{ Target: settings.network }],
    },
    Mode: { Replicated: { Replicas: replicas } },
    // start-first: a new task runs before the old one stops, so an update never leaves the name without a task.
    UpdateConfig: { Parallelism: 1, Order: 'start-first', FailureAction: 'pause', Monitor: SECOND_NS / 2 },
    RollbackConfig: { Parallelism: 1, Order: 'start-first' },
    EndpointSpec: { Mode: settings.endpointMode },
  };
}

/** The function's limits as Swarm's: bytes of memory and billionths of a CPU; undefined without limits. */
export function resourceLimits(spec: DeploySpec): { MemoryBytes?: number; NanoCPUs?: number } | undefined {
  const { memoryMB, cpus } = spec.limits ?? {};
  if (memoryMB === undefined && cpus === undefined) return undefined;
  return {
    ...(memoryMB === undefined ? {} : { MemoryBytes: memoryMB * 1024 * 1024 }),
    ...(cpus === undefined ? {} : { NanoCPUs: Math.round(cpus * SECOND_NS) }),
  };
}

/** The container part of a service's task template (dockerode types it as a union with plugin tasks). */
export function containerSpecOf(spec: Dockerode.ServiceSpec | undefined): { Image?: string; Env?: string[] } {
  return (spec?.TaskTemplate as { ContainerSpec?: { Image?: string; Env?: string[] } } | undefined)?.ContainerSpec ?? {};
}

/** Whether a running service already matches a spec (same image, revision, replicas): deploy is then a no-op. */
export function sameDeployment(current: Dockerode.ServiceSpec | undefined, next: Dockerode.ServiceSpec): boolean {
  if (current === undefined) return false;
  return (
    containerSpecOf(current).Image === containerSpecOf(next).Image &&
    current.Labels?.[LABELS.revision] === next.Labels?.[LABELS.revision] &&
    current.Mode?.Replicated?.Replicas === next.Mode?.Replicated?.Replicas &&
    JSON.stringify(containerSpecOf(current).Env ?? []) === JSON.stringify(containerSpecOf(next).Env ?? [])
  );
}
