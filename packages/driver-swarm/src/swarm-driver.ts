import Dockerode from 'dockerode';
import {
  BackendError,
  ConflictError,
  DISPATCH_VERSION,
  DeadlineExceededError,
  FunkerBadReplyError,
  FunkerEmptyReplyError,
  FunkerIncompleteReplyError,
  InvalidInputError,
  KeyedMutex,
  NotFoundError,
  UnavailableError,
  assertValidName,
  errorEnvelope,
  isRunEnvelope,
  wrapBareReply,
} from '@dispatch/core/driver';
import type {
  BaseImageSpec,
  DispatchLogger,
  DeployResult,
  DeploySpec,
  DeployedFunction,
  Driver,
  FunctionProtocol,
  FunctionRuntimeStatus,
  InvokeOptions,
  Language,
  LogLine,
  LogOptions,
  ProgressListener,
  RunEnvelope,
  RunRequest,
} from '@dispatch/core/driver';
import { ImageBuildError, createDockerImageBuilder, engineError } from '@dispatch/docker-builder';
import type { DockerImageBuilder } from '@dispatch/docker-builder';
import { TaskCallError, callService, resolveTasksByDns } from './call-service.js';
import type { ResolveAddress, ServiceReply } from './call-service.js';
import { demuxLogLines } from './service-logs.js';
import { LABELS, sameDeployment, serviceSpec } from './service-spec.js';
import type { ServiceSettings } from './service-spec.js';
import { serviceStatus } from './service-status.js';
import type { TaskInfo } from './service-status.js';
import { ensureSwarmNetwork } from './swarm-network.js';
import type { SwarmNetwork } from './swarm-network.js';
import { createTaskReplacer } from './task-replacer.js';

/** How the function servers begin the message of a handler that ran past its timeout. */
const TIMED_OUT = 'function timed out after';
/** How long a timed-out call waits for the engine to kill its stuck task before it answers. */
const KILL_WAIT_MS = 1000;

/** Options of the swarm backend. */
export interface SwarmDriverOptions {
  /** The engine, a Swarm manager; default `new Dockerode()` (DOCKER_HOST or /var/run/docker.sock). */
  docker?: Dockerode;
  /** The overlay network of functions, created (attachable) if missing; default env `DISPATCH_SWARM_NETWORK` or `dispatch`. */
  network?: string;
  /** `dnsrr` (default: works without IPVS, and avoids the overlay's 60 s idle reset of virtual-IP connections) or `vip`. */
  endpointMode?: 'dnsrr' | 'vip';
  /** Builds images; default `createDockerImageBuilder({ docker, errorPrefix: 'swarm' })`. */
  builder?: DockerImageBuilder;
  /** The funker port of function servers; default 9999. */
  funkerPort?: number;
  /** Caps every call's deadline, in ms; default: the caller's deadline only. */
  callTimeoutMs?: number;
  /** Milliseconds during which a call retries tasks that refuse or reset the connection; default 10000. */
  retryWindowMs?: number;
  /** TCP keepalive of calls, under the overlay's 60 s idle reset; default 30000. */
  keepAliveMs?: number;
  /** Milliseconds Swarm waits before restarting a task that exited; default 100 (Swarm's own default is 5 s). */
  restartDelayMs?: number;
  /** Resolves a service name to its tasks' addresses; default DNS `tasks.<name>` (the driver must run on the network). */
  resolveAddress?: ResolveAddress;
  /** A pino-compatible logger (replaced tasks are logged); silent when absent. */
  logger?: DispatchLogger;
}

interface FunctionMeta {
  protocol: FunctionProtocol;
  timeout: number;
}

/**
 * The Docker Swarm backend: each function is a Swarm service named after it, on an attachable overlay network,
 * called over funker on port 9999 by its tasks' addresses (`tasks.<name>`). The driver must run in a container
 * attached to that network (the gateway as a Swarm service) to reach functions.
 */
export function createSwarmDriver(options: SwarmDriverOptions = {}): Driver {
  const docker = options.docker ?? new Dockerode();
  const networkName = options.network ?? process.env.DISPATCH_SWARM_NETWORK ?? 'dispatch';
  const builder = options.builder ?? createDockerImageBuilder({ docker, errorPrefix: 'swarm' });
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
  const roundRobin = new Map<string, number>();
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

  /** The service of a function, or undefined; a service of that name that Dispatch does not manage is a conflict. */
  async function inspect(name: string): Promise<Dockerode.Service | undefined> {
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
    const labels = (service.Spec as Dockerode.ServiceSpec).Labels ?? {};
    const meta: FunctionMeta = {
      protocol: labels[LABELS.protocol] === 'funker' ? 'funker' : 'dispatch',
      timeout: Number(labels[LABELS.timeout] ?? 0) || 0,
    };
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
    if (current === undefined) {
      await api(`creating service "${spec.name}"`, () => docker.createService(next));
    } else if (!sameDeployment(current.Spec as Dockerode.ServiceSpec, next)) {
      const version = current.Version?.Index;
      await api(`updating service "${spec.name}"`, () => docker.getService(spec.name).update({ version, ...next }));
      await waitForRollout(spec.name);
    }
    metas.set(spec.name, { protocol: spec.protocol, timeout: spec.timeout });
  }

  /**
   * Waits (a minute at most) until a rolling update has replaced every task, so that once deploy returns, calls
   * reach the new revision only. A rollout that pauses (its new task fails) ends the wait: status() tells why.
   */
  async function waitForRollout(name: string): Promise<void> {
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const service = await inspect(name);
      const state = (service as { UpdateStatus?: { State?: string } } | undefined)?.UpdateStatus?.State;
      if (service === undefined || state === undefined || !['updating', 'rollback_started'].includes(state)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function envelopeOf(name: string, meta: FunctionMeta, request: RunRequest, reply: unknown): RunEnvelope {
    if (meta.protocol === 'funker') return wrapBareReply(reply);
    if (!isRunEnvelope(reply)) {
      return errorEnvelope('SystemError', `[swarm] the function server of "${name}" answered something that is not a run envelope`);
    }
    reply.context.logs ??= { stdout: [], stderr: [] };
    void request;
    return reply;
  }

  /**
   * A call that got no reply by its deadline, not even its function server's own timeout answer, although the
   * task had it for the whole of the function's timeout: the task is stuck (a synchronous loop) and would keep
   * its share of the round robin forever, so its container is killed and Swarm starts another. The call waits a
   * moment for it, so that the next one does not go to the stuck task. A deadline shorter than the function's
   * timeout (the caller's or `callTimeoutMs`) says nothing about the task and replaces nothing.
   */
  async function replaceStuckTask(name: string, meta: FunctionMeta, request: RunRequest, failure: TaskCallError, deadline: number): Promise<void> {
    const timeout = request.context?.timeout || meta.timeout;
    if (timeout > 0 && deadline - failure.sentAt < timeout) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      replacer.replace(name, failure.host, failure.sentAt),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, KILL_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  function failedCall(name: string, meta: FunctionMeta, request: RunRequest, error: unknown, signal?: AbortSignal): RunEnvelope {
    if (error instanceof DeadlineExceededError && !signal?.aborted) {
      const timeout = request.context?.timeout || meta.timeout;
      return errorEnvelope('FunctionError', `${TIMED_OUT} ${timeout} ms`);
    }
    if (error instanceof FunkerEmptyReplyError) {
      return errorEnvelope(
        'FunctionError',
        meta.protocol === 'funker'
          ? `the funker handler of "${name}" closed the connection without a reply (it failed)`
          : `the function's container exited during the call`,
      );
    }
    if (error instanceof FunkerIncompleteReplyError || error instanceof FunkerBadReplyError) {
      return errorEnvelope('SystemError', `[swarm] ${error.message}`);
    }
    throw error;
  }

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
      if (await builder.imageExists(spec.imageURL)) return;
      await api(`pulling base image "${spec.imageURL}"`, async () => {
        const stream = (await docker.pull(spec.imageURL)) as NodeJS.ReadableStream;
        await new Promise<void>((resolve, reject) =>
          docker.modem.followProgress(
            stream,
            (error: Error | null, messages: Array<{ error?: string }> | undefined) => {
              const failed = messages?.find((message) => message.error !== undefined);
              if (error || failed) reject(new BackendError(`[swarm] pulling base image "${spec.imageURL}" failed: ${error?.message ?? failed?.error}`));
              else resolve();
            },
            (event: { status?: string; progress?: string }) => onProgress?.([event.status, event.progress].filter(Boolean).join(' ')),
          ),
        );
      });
    },

    buildImage(spec, onProgress) {
      return builder.buildImage(spec, onProgress);
    },

    removeImage(imageURL: string): Promise<void> {
      return builder.removeImage(imageURL);
    },

    async deploy(spec: DeploySpec, onProgress?: ProgressListener): Promise<DeployResult> {
      assertValidName('function', spec.name);
      const replicas = replicasOf(spec.replicas);
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
      const service = await inspect(name);
      if (service === undefined) {
        const failure = failures.get(name);
        if (failure !== undefined) return { ready: false, replicas: { desired: 0, ready: 0 }, failed: true, reason: failure };
        throw new NotFoundError(`[swarm] function "${name}" is not deployed`);
      }
      const { id } = await ensureNetwork();
      const tasks = await api(`listing the tasks of "${name}"`, () =>
        docker.listTasks({ filters: { service: [name], 'desired-state': ['running', 'shutdown', 'accepted'] } }),
      );
      const status = await serviceStatus({
        name,
        service,
        tasks: (tasks as TaskInfo[]).filter((task) => task.ServiceID === service.ID),
        networkId: id,
        networkName,
        funkerPort,
        probeTimeoutMs: 1000,
      });
      // A build failure of the latest deploy stands even when an older revision still runs.
      const failure = failures.get(name);
      return failure === undefined ? status : { ...status, ready: false, failed: true, reason: failure };
    },

    async invoke(name: string, request: RunRequest, invokeOptions: InvokeOptions): Promise<RunEnvelope> {
      const meta = await metaOf(name);
      const deadline =
        options.callTimeoutMs === undefined ? invokeOptions.deadline : Math.min(invokeOptions.deadline, Date.now() + options.callTimeoutMs);
      let answer: ServiceReply;
      try {
        answer = await callService({
          service: name,
          body: meta.protocol === 'funker' ? request.payload : request,
          port: funkerPort,
          deadline,
          signal: invokeOptions.signal,
          resolveAddress,
          retryWindowMs: options.retryWindowMs ?? 10_000,
          keepAliveMs: options.keepAliveMs ?? 30_000,
          retryEmptyReply: meta.protocol !== 'funker',
          nextIndex: () => {
            const index = roundRobin.get(name) ?? Math.floor(Math.random() * 1000);
            roundRobin.set(name, index + 1);
            return index;
          },
        });
      } catch (error) {
        if (error instanceof TaskCallError) {
          if (error.cause instanceof DeadlineExceededError && !invokeOptions.signal?.aborted) {
            await replaceStuckTask(name, meta, request, error, deadline);
          }
          return failedCall(name, meta, request, error.cause, invokeOptions.signal);
        }
        if (error instanceof UnavailableError && !(await inspect(name))) {
          metas.delete(name);
          throw new NotFoundError(`[swarm] function "${name}" is not deployed`, { cause: error });
        }
        return failedCall(name, meta, request, error, invokeOptions.signal);
      }
      return envelopeOf(name, meta, request, answer.reply);
    },

    logs(name: string, logOptions: LogOptions = {}): AsyncIterable<LogLine> {
      // Following from "now" means from this call, not from when the engine gets the request: a line printed in
      // between would otherwise be missed, so `tail: 0` becomes `since` this moment.
      const calledAt = Date.now();
      return (async function* () {
        await mustInspect(name);
        const { follow = false, tail, signal } = logOptions;
        const fromNow = follow && tail === 0;
        const output = await api(`reading the logs of "${name}"`, () =>
          docker.getService(name).logs({
            stdout: true,
            stderr: true,
            follow,
            timestamps: true,
            details: true,
            tail: tail === undefined || fromNow ? 'all' : Math.max(0, tail),
            ...(fromNow ? { since: ((calledAt - 50) / 1000).toFixed(3) } : {}),
          } as unknown as Dockerode.ContainerLogsOptions) as unknown as Promise<NodeJS.ReadableStream | Buffer>,
        );
        if (Buffer.isBuffer(output)) {
          yield* demuxLogLines((async function* () {
            yield output;
          })());
          return;
        }
        const stream = output as NodeJS.ReadableStream & { destroy?: () => void };
        const stop = (): void => stream.destroy?.();
        signal?.addEventListener('abort', stop, { once: true });
        try {
          if (signal?.aborted) return;
          yield* demuxLogLines(stream as AsyncIterable<Buffer>);
        } catch (error) {
          if (!signal?.aborted) throw engineError('swarm', docker, `reading the logs of "${name}"`, error);
        } finally {
          signal?.removeEventListener('abort', stop);
          stop();
        }
      })();
    },

    async scale(name: string, replicas: number): Promise<void> {
      const count = replicasOf(replicas);
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
        roundRobin.delete(name);
        replacer.forget(name);
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
      // Services keep running: they belong to the Swarm, not to this process.
    },
  };
}

function replicasOf(replicas: number): number {
  if (!Number.isFinite(replicas) || replicas < 0) {
    throw new InvalidInputError(`[swarm] replicas must be a whole number of at least 0, not ${String(replicas)}`);
  }
  return Math.floor(replicas);
}
