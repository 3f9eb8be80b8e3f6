// The swarm driver's factory: longer than most files because its closure holds the driver's state (the engine, the
// functions' settings, the per-function locks) that every operation shares; each concern it calls lives in a sibling
// file (invoke-function, service-spec, service-status, service-logs, task-replacer, task-liveness, wire-pool).
import Dockerode from 'dockerode';
import {
  BackendError,
  DISPATCH_VERSION,
  KeyedMutex,
  NotFoundError,
  UnavailableError,
  assertValidName,
  replicaCount,
} from '@dispatch/core/driver';
import type {
  BaseImageSpec,
  DispatchLogger,
  DeployResult,
  DeploySpec,
  DeployedFunction,
  Driver,
  FunctionRuntimeStatus,
  Language,
  ProgressListener,
} from '@dispatch/core/driver';
import { ImageBuildError, createDockerImageBuilder, engineError } from '@dispatch/docker-builder';
import type { DockerImageBuilder, RegistrySettings } from '@dispatch/docker-builder';
import { resolveTasksByDns } from './call-service.js';
import type { ResolveAddress } from './call-service.js';
import { createSwarmInvoker } from './invoke-function.js';
import type { FunctionMeta } from './invoke-function.js';
import { serviceLogs } from './service-logs.js';
import { createRegistryPull } from './registry-pull.js';
import { inspectService, metaOfService, updateService, waitForRollout } from './swarm-service.js';
import { LABELS, containerSpecOf, sameDeployment, serviceSpec } from './service-spec.js';
import type { ServiceSettings } from './service-spec.js';
import { serviceStatus } from './service-status.js';
import type { TaskInfo } from './service-status.js';
import { ensureSwarmNetwork } from './swarm-network.js';
import type { SwarmNetwork } from './swarm-network.js';
import { TaskAddresses } from './task-addresses.js';
import { createTaskLiveness } from './task-liveness.js';
import { TaskLoad } from './task-load.js';
import { WirePool } from './wire-pool.js';
import { createTaskReplacer } from './task-replacer.js';

/** Options of the swarm backend. */
export interface SwarmDriverOptions {
  /** The engine, a Swarm manager; default `new Dockerode()` (DOCKER_HOST or /var/run/docker.sock). */
  docker?: Dockerode;
  /** The overlay network of functions, created (attachable) if missing; default `dispatch` (`swarmDriverOptionsFromEnv` reads DISPATCH_SWARM_NETWORK). */
  network?: string;
  /** `dnsrr` (default: works without IPVS, and avoids the overlay's 60 s idle reset of virtual-IP connections) or `vip`. */
  endpointMode?: 'dnsrr' | 'vip';
  /**
   * The registry function images are pushed to and every node pulls them from. Its login goes with the services
   * (`X-Registry-Auth`), so worker nodes pull without being logged in.
   */
  registry?: RegistrySettings;
  /** Builds images; default `createDockerImageBuilder({ docker, errorPrefix: 'swarm', registry })`. */
  builder?: DockerImageBuilder;
  /** The funker port of function servers; default 9999. */
  funkerPort?: number;
  /** Caps every call's deadline, in ms; default: the caller's deadline only. */
  callTimeoutMs?: number;
  /** Milliseconds during which a call retries tasks that refuse or reset the connection; default 10000. */
  retryWindowMs?: number;
  /** TCP keepalive of calls, under the overlay's 60 s idle reset; default 30000. */
  keepAliveMs?: number;
  /**
   * Calls in flight on one task at most; default 64 (as the local backend's processes). More wait in the gateway,
   * up to `maxWaitingCalls` per function (default 1000), then are refused with 503.
   */
  maxCallsPerTask?: number;
  /** Calls of one function waiting for a task with room at most; default 1000. */
  maxWaitingCalls?: number;
  /** Milliseconds Swarm waits before restarting a task that exited; default 100 (Swarm's own default is 5 s). */
  restartDelayMs?: number;
  /** Resolves a service name to its tasks' addresses; default DNS `tasks.<name>` (the driver must run on the network). */
  resolveAddress?: ResolveAddress;
  /** A pino-compatible logger (replaced tasks are logged); silent when absent. */
  logger?: DispatchLogger;
}

/**
 * The Docker Swarm backend: each function is a Swarm service named after it, on an attachable overlay network,
 * called on port 9999 by its tasks' addresses (`tasks.<name>`): over one long-lived wire connection per task for
 * Dispatch's runtimes, over funker (a connection per call) for plain funker images. The driver must run in a
 * container attached to that network (the gateway as a Swarm service) to reach functions.
 */
export function createSwarmDriver(options: SwarmDriverOptions = {}): Driver {
  const docker = options.docker ?? new Dockerode();
  const networkName = options.network ?? 'dispatch';
  const builder = options.builder ?? createDockerImageBuilder({ docker, errorPrefix: 'swarm', registry: options.registry });
  const pull = createRegistryPull(options.registry);
  const funkerPort = options.funkerPort ?? 9999;
  const resolveAddress = options.resolveAddress ?? resolveTasksByDns;
  const settings: ServiceSettings = {
    network: networkName,
    endpointMode: options.endpointMode ?? 'dnsrr',
    funkerPort,
    restartDelayNs: (options.restartDelayMs ?? 100) * 1_000_000,
  };
  const baseImages: Record<Language, string> = {
    nodejs: `dispatch/nodejs-base:${DISPATCH_VERSION}`,
    python3: `dispatch/python3-base:${DISPATCH_VERSION}`,
  };
  const metas = new Map<string, FunctionMeta>();
  /** Functions whose last deploy failed before a service existed (a build that failed), with the reason. */
  const failures = new Map<string, string>();
  const queues = new KeyedMutex();
  let network: Promise<SwarmNetwork> | undefined;
  let disposed = false;
  const replacer = createTaskReplacer({
    docker,
    networkName,
    networkId: async () => (await ensureNetwork()).id,
    exclusive: (service, operation) => queues.run(service, operation),
    logger: options.logger,
  });

  function api<T>(doing: string, operation: () => Promise<T>): Promise<T> {
    return operation().catch((error: unknown) => {
      throw engineError('swarm', docker, doing, error);
    });
  }

  function ensureNetwork(): Promise<SwarmNetwork> {
    network ??= api(`preparing network "${networkName}"`, () => ensureSwarmNetwork(docker, networkName)).catch((error: unknown) => {
      network = undefined;
      throw error;
    });
    return network;
  }

  const inspect = (name: string): Promise<Dockerode.Service | undefined> => inspectService(docker, name);

  async function mustInspect(name: string): Promise<Dockerode.Service> {
    const service = await inspect(name);
    if (service === undefined) throw new NotFoundError(`[swarm] function "${name}" is not deployed`);
    return service;
  }

  async function metaOf(name: string): Promise<FunctionMeta> {
    const known = metas.get(name);
    if (known !== undefined) return known;
    const service = await inspect(name);
    if (service === undefined) {
      const failure = failures.get(name);
      if (failure !== undefined) throw new UnavailableError(failure);
      throw new NotFoundError(`[swarm] function "${name}" is not deployed`);
    }
    const meta = metaOfService(service);
    metas.set(name, meta);
    return meta;
  }

  function serialize<T>(name: string, operation: () => Promise<T>): Promise<T> {
    if (disposed) return Promise.reject(new BackendError('[swarm] the driver has been disposed'));
    return queues.run(name, operation);
  }

  async function putService(spec: DeploySpec, image: string, replicas: number): Promise<void> {
    await ensureNetwork();
    const next = serviceSpec(spec, image, replicas, settings);
    const current = await inspect(spec.name);
    const authconfig = pull.authFor(image);
    if (current === undefined) {
      await api(`creating service "${spec.name}"`, () =>
        authconfig ? docker.createService(authconfig, next) : docker.createService(next),
      );
    } else if (!sameDeployment(current.Spec as Dockerode.ServiceSpec, next)) {
      const version = current.Version?.Index;
      await api(`updating service "${spec.name}"`, () => updateService(docker, spec.name, authconfig, { version, ...next }));
      await waitForRollout(docker, spec.name);
    }
    metas.set(spec.name, { protocol: spec.protocol, timeout: spec.timeout });
  }

  const wire = new WirePool({ port: funkerPort, keepAliveMs: options.keepAliveMs ?? 30_000 });
  const addresses = new TaskAddresses(resolveAddress, (gone) => {
    for (const host of gone) wire.dropIdle(host);
  });
  const load = new TaskLoad({ maxCallsPerTask: options.maxCallsPerTask ?? 64, maxWaitingCalls: options.maxWaitingCalls ?? 1000 });
  const invoker = createSwarmInvoker({
    funkerPort,
    addresses,
    load,
    callTimeoutMs: options.callTimeoutMs,
    retryWindowMs: options.retryWindowMs ?? 10_000,
    keepAliveMs: options.keepAliveMs ?? 30_000,
    replacer,
    liveness: createTaskLiveness(addresses),
    wire,
    metaOf,
    async stillDeployed(name) {
      if (await inspect(name)) return true;
      metas.delete(name);
      return false;
    },
  });

  return {
    name: 'swarm',

    defaultBaseImages(): Record<Language, string> {
      return { ...baseImages };
    },

    async prepareBaseImage(spec: BaseImageSpec, onProgress?: ProgressListener): Promise<void> {
      // Dispatch's own base images are (re)built: a cached build takes a tenth of a second and keeps the
      // function server in them current. Any other image must exist on the engine or be pulled.
      if (spec.imageURL === baseImages[spec.language]) {
        await builder.buildBaseImage(spec.language, spec.imageURL, onProgress);
        return;
      }
      await builder.ensurePulled(spec.imageURL, onProgress);
    },

    buildImage(spec, onProgress) {
      return builder.buildImage(spec, onProgress);
    },

    removeImage(imageURL: string): Promise<void> {
      return builder.removeImage(imageURL);
    },

    async deploy(spec: DeploySpec, onProgress?: ProgressListener): Promise<DeployResult> {
      assertValidName('function', spec.name);
      const replicas = replicaCount('swarm', spec.replicas);
      return serialize(spec.name, async () => {
        let image = spec.imageURL;
        if (spec.protocol !== 'funker') {
          try {
            image = await builder.buildFunctionImage(
              { name: spec.name, revision: spec.revision, imageURL: spec.imageURL, source: spec.source, handler: spec.handler },
              onProgress,
            );
          } catch (error) {
            // Remembered so that status() tells why there is no service; a service already running keeps serving.
            if (error instanceof ImageBuildError || (error as { code?: number }).code === 400) {
              failures.set(spec.name, (error as Error).message);
            }
            throw error;
          }
        }
        await putService(spec, image, replicas);
        failures.delete(spec.name);
        onProgress?.(`service "${spec.name}" runs ${image} with ${replicas} replica(s)`);
        return { functionImageURL: image };
      });
    },

    async status(name: string): Promise<FunctionRuntimeStatus> {
      // Side by side: a start from zero polls this, and each round trip to the engine delays the first call.
      const listing = api(`listing the tasks of "${name}"`, () =>
        docker.listTasks({ filters: { service: [name], 'desired-state': ['running', 'shutdown', 'accepted'] } }),
      );
      listing.catch(() => undefined);
      const service = await inspect(name);
      if (service === undefined) {
        const failure = failures.get(name);
        if (failure !== undefined) return { ready: false, replicas: { desired: 0, ready: 0 }, failed: true, reason: failure };
        throw new NotFoundError(`[swarm] function "${name}" is not deployed`);
      }
      const { id } = await ensureNetwork();
      const tasks = await listing;
      const status = await serviceStatus({
        name,
        service,
        tasks: (tasks as TaskInfo[]).filter((task) => task.ServiceID === service.ID),
        networkId: id,
        networkName,
        funkerPort,
        probeTimeoutMs: 1000,
        onAccepting: (accepting) => {
          // The first call after a start then neither waits for Swarm's DNS to list the task nor opens its connection.
          addresses.seed(name, accepting);
          if (metas.get(name)?.protocol !== 'dispatch') return;
          for (const host of accepting) Promise.resolve(wire.connection(host)).catch(() => undefined);
        },
      });
      // A build failure of the latest deploy stands even when an older revision still runs.
      const failure = failures.get(name);
      if (failure !== undefined) return { ...status, ready: false, failed: true, reason: failure };
      if (status.failed !== true || !/No such image/i.test(status.reason ?? '')) return status;
      const why = await pull.explainMissing(containerSpecOf(service.Spec as Dockerode.ServiceSpec).Image ?? '');
      return why === undefined ? status : { ...status, reason: `${status.reason ?? ''}; the node could not pull it: ${why}` };
    },

    invoke: (name, request, invokeOptions) => invoker.invoke(name, request, invokeOptions),

    logs: (name, logOptions) => serviceLogs(docker, name, () => mustInspect(name), logOptions),

    async scale(name: string, replicas: number): Promise<void> {
      const count = replicaCount('swarm', replicas);
      await serialize(name, async () => {
        const service = await mustInspect(name);
        const spec = service.Spec as Dockerode.ServiceSpec;
        if (spec.Mode?.Replicated?.Replicas === count) return;
        await api(`scaling service "${name}"`, () =>
          docker.getService(name).update({ version: service.Version?.Index, ...spec, Mode: { Replicated: { Replicas: count } } }),
        );
      });
    },

    async list(): Promise<DeployedFunction[]> {
      const services = await api('listing services', () => docker.listServices({ filters: { label: [`${LABELS.managed}=true`] } }));
      return services.map((service) => {
        const spec = service.Spec as Dockerode.ServiceSpec;
        return {
          name: spec.Labels?.[LABELS.function] ?? spec.Name ?? '',
          revision: Number(spec.Labels?.[LABELS.revision] ?? 0),
          replicas: spec.Mode?.Replicated?.Replicas ?? 0,
        };
      });
    },

    async remove(name: string): Promise<void> {
      assertValidName('function', name);
      await serialize(name, async () => {
        failures.delete(name);
        metas.delete(name);
        invoker.forget(name);
        replacer.forget(name);
        addresses.forget(name);
        const service = await inspect(name);
        if (service === undefined) return;
        await api(`removing service "${name}"`, () =>
          docker
            .getService(name)
            .remove()
            .catch((error: unknown) => {
              if ((error as { statusCode?: number }).statusCode !== 404) throw error;
            }),
        );
      });
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      await queues.whenIdle();
      disposed = true;
      wire.close();
      // Services keep running: they belong to the Swarm, not to this process.
    },
  };
}
