import type { KubeConfig } from '@kubernetes/client-node';
import { BackendError, ConflictError, InvalidInputError, NotFoundError, assertValidName, replicaCount } from '@dispatch/core/driver';
import type {
  DeployResult,
  DeploySpec,
  DeployedFunction,
  Driver,
  FunctionRuntimeStatus,
  InvokeOptions,
  LogLine,
  LogOptions,
  RunEnvelope,
  RunRequest,
} from '@dispatch/core/driver';
import { functionEndpoint } from './function-endpoint.js';
import type { EndpointSettings, FunctionEndpoint } from './function-endpoint.js';
import { createAgents, httpCall } from './http-call.js';
import { createBuildJobRunner } from './build-job.js';
import type { BuildJobOptions } from './build-job.js';
import { createDockerKnativeImageBuilder, createRegistryKnativeImageBuilder } from './image-builder.js';
import type { KnativeImageBuilder, RegistrySettings } from './image-builder.js';
import { invokeOverHttp } from './invoke-function.js';
import { KnativeClient, loadKubeConfig } from './kube-client.js';
import { FUNCTION_LABEL, MAX_SCALE, MIN_SCALE, REVISION_ANNOTATION, serviceManifest } from './knative-service.js';
import type { KnativeObject } from './knative-service.js';
import { podLogs } from './pod-logs.js';
import { revisionFailure, serviceState } from './service-readiness.js';
import { ServiceWatch } from './service-watch.js';

/** Options of the knative backend. */
export interface KnativeDriverOptions {
  /** The namespace functions run in; default `default`. */
  namespace?: string;
  /** A kubeconfig file or a loaded KubeConfig; default: KUBECONFIG, ~/.kube/config, or the pod's service account. */
  kubeconfig?: string | KubeConfig;
  /** Builds images; default: as `builder` says. */
  imageBuilder?: KnativeImageBuilder;
  /**
   * `registry`: images are assembled in `registry` with no Docker daemon (the default when a registry is set);
   * `docker`: built on a Docker engine (DOCKER_HOST) and pushed to `registry` when one is set (the default without).
   */
  builder?: 'registry' | 'docker';
  /** Where images go; the cluster pulls them from there. */
  registry?: RegistrySettings;
  /**
   * The Knative ingress (`http://10.0.0.1:80`), when Dispatch runs outside the cluster: calls go there with
   * the Host of the Service's status.url.
   */
  ingressAddress?: string;
  /** Dispatch runs in the cluster: call each Service at its status.address.url. */
  inCluster?: boolean;
  /** Requests a replica takes at once; 0 (default) leaves it to Knative. */
  containerConcurrency?: number;
  /** `autoscaling.knative.dev/max-scale` of every function; default: none (Knative's autoscaler decides). */
  maxScale?: number;
  /** Seconds a watch of the API runs before it is started again; default 240. */
  watchTimeoutSeconds?: number;
  /** The Kubernetes Jobs that build images the registry builder cannot assemble (with the registry builder). */
  buildJob?: Pick<BuildJobOptions, 'image' | 'resources' | 'timeoutSeconds'>;
}

const READINESS_CALL_MS = 3000;

/**
 * The knative backend: each function is a Knative Service (`serving.knative.dev/v1`) running the function
 * server in HTTP mode, called over HTTP through the cluster's ingress or its cluster-local address.
 */
export function createKnativeDriver(options: KnativeDriverOptions = {}): Driver {
  const namespace = options.namespace ?? 'default';
  const client = new KnativeClient(loadKubeConfig(options.kubeconfig), namespace);
  const builder = options.imageBuilder ?? defaultImageBuilder(options, client);
  const endpoints: EndpointSettings = {
    inCluster: options.inCluster ?? false,
    ...(options.ingressAddress === undefined ? {} : { ingressAddress: options.ingressAddress }),
  };
  const agents = createAgents();
  const watch = new ServiceWatch(client, FUNCTION_LABEL, options.watchTimeoutSeconds ?? 240);
  /** Functions whose last build failed, with the build's message: they cannot become ready until changed. */
  const buildFailures = new Map<string, string>();

  function endpointOf(name: string, service: KnativeObject): FunctionEndpoint {
    const endpoint = functionEndpoint(service, endpoints);
    if (endpoint === undefined) throw new BackendError(`[knative] function "${name}": Knative has not published its URL yet`);
    return endpoint;
  }

  async function serviceFor(name: string): Promise<KnativeObject> {
    await watch.start();
    const cached = watch.get(name);
    if (cached !== undefined && functionEndpoint(cached, endpoints) !== undefined) return cached;
    const service = await client.findService(name);
    if (service === undefined) throw new NotFoundError(`[knative] function "${name}" not found in namespace "${namespace}"`);
    watch.remember(service);
    return service;
  }

  async function write(manifest: KnativeObject): Promise<KnativeObject> {
    for (let attempt = 0; ; attempt++) {
      const existing = await client.findService(manifest.metadata.name);
      try {
        if (existing === undefined) return await client.createService(manifest);
        const next: KnativeObject = {
          ...manifest,
          metadata: {
            ...manifest.metadata,
            resourceVersion: existing.metadata.resourceVersion,
            labels: { ...existing.metadata.labels, ...manifest.metadata.labels },
            annotations: { ...existing.metadata.annotations, ...manifest.metadata.annotations },
          },
        };
        return await client.replaceService(next);
      } catch (error) {
        // Someone else wrote it between our read and our write: read again and retry.
        if (!(error instanceof ConflictError) || attempt >= 4) throw error;
      }
    }
  }

  return {
    name: 'knative',
    // Knative's autoscaler and activator scale functions from the annotations that deploy writes.
    scalesItself: true,

    defaultBaseImages: builder.defaultBaseImages?.bind(builder),
    prepareBaseImage: builder.prepareBaseImage?.bind(builder),
    buildImage: (spec, onProgress) => builder.buildImage(spec, onProgress),
    removeImage: builder.removeImage?.bind(builder),

    async deploy(spec: DeploySpec, onProgress): Promise<DeployResult> {
      assertValidName('function', spec.name);
      if (spec.protocol === 'funker') {
        throw new InvalidInputError(
          `[knative] function "${spec.name}": protocol "funker" needs a TCP transport; Knative Serving routes HTTP only`,
        );
      }
      let functionImageURL: string;
      try {
        functionImageURL = await builder.buildFunctionImage(
          { name: spec.name, revision: spec.revision, imageURL: spec.imageURL, source: spec.source, handler: spec.handler },
          onProgress,
        );
      } catch (error) {
        buildFailures.set(spec.name, (error as Error).message);
        throw error;
      }
      const manifest = serviceManifest({
        spec,
        functionImageURL,
        namespace,
        containerConcurrency: options.containerConcurrency ?? 0,
        ...(options.maxScale === undefined ? {} : { maxScale: options.maxScale }),
      });
      onProgress?.(`[knative] applying Service ${namespace}/${spec.name} (image ${functionImageURL})`);
      watch.remember(await write(manifest));
      buildFailures.delete(spec.name);
      return { functionImageURL };
    },

    async status(name: string): Promise<FunctionRuntimeStatus> {
      const service = await client.findService(name);
      const failedBuild = buildFailures.get(name);
      if (service === undefined) {
        if (failedBuild !== undefined) return { ready: false, failed: true, reason: failedBuild, replicas: { desired: 1, ready: 0 } };
        throw new NotFoundError(`[knative] function "${name}" not found in namespace "${namespace}"`);
      }
      watch.remember(service);
      const desired = Number(templateAnnotations(service)[MIN_SCALE] ?? 1) || 1;
      if (failedBuild !== undefined) return { ready: false, failed: true, reason: failedBuild, replicas: { desired, ready: 0 } };
      const state = serviceState(service);
      if (state.kind === 'failed') {
        const revision = state.revision === undefined ? undefined : await client.getRevision(state.revision);
        const detail = revisionFailure(revision);
        const reason = detail === undefined ? `[knative] ${state.reason}` : `[knative] revision "${state.revision}" failed: ${detail}`;
        return { ready: false, failed: true, reason, replicas: { desired, ready: 0 } };
      }
      if (state.kind === 'pending') return { ready: false, reason: `[knative] ${state.reason}`, replicas: { desired, ready: 0 } };
      const readyRevision = service.status?.latestReadyRevisionName;
      const revision = readyRevision === undefined ? undefined : await client.getRevision(readyRevision);
      const replicas = { desired, ready: revision?.status?.actualReplicas ?? desired };
      // Ready=True is Knative's word; READY is ours only when a call through the same path succeeds.
      const endpoint = endpointOf(name, service);
      try {
        const answer = await httpCall(agents, endpoint, { method: 'GET', path: '/healthz', deadline: Date.now() + READINESS_CALL_MS });
        if (answer.status === 200) return { ready: true, replicas };
        return { ready: false, reason: `[knative] ${endpoint.describe}/healthz answered HTTP ${answer.status}`, replicas };
      } catch (error) {
        return { ready: false, reason: `[knative] ${endpoint.describe}/healthz: ${(error as Error).message}`, replicas };
      }
    },

    async invoke(name: string, request: RunRequest, invokeOptions: InvokeOptions): Promise<RunEnvelope> {
      const service = await serviceFor(name);
      const timeoutMs = Number(containerEnv(service).DISPATCH_TIMEOUT_MS ?? 0);
      return invokeOverHttp(agents, { name, endpoint: endpointOf(name, service), timeoutMs }, request, invokeOptions);
    },

    async scale(name: string, replicas: number): Promise<void> {
      const count = replicaCount('knative', replicas);
      const annotations: Record<string, string> = { [MIN_SCALE]: String(count) };
      // As on deploy: the maximum never falls under the replicas asked for.
      if (options.maxScale !== undefined && options.maxScale > 0) annotations[MAX_SCALE] = String(Math.max(options.maxScale, count));
      const patch = { spec: { template: { metadata: { annotations } } } };
      watch.remember(await client.mergePatchService(name, patch));
    },

    async remove(name: string): Promise<void> {
      buildFailures.delete(name);
      watch.forget(name);
      try {
        await client.deleteService(name);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    },

    logs(name: string, logOptions?: LogOptions): AsyncIterable<LogLine> {
      // "From now on" (tail 0) is from this call, not from whenever the caller starts reading.
      const askedAt = Date.now();
      return (async function* () {
        if ((await client.findService(name)) === undefined)
          throw new NotFoundError(`[knative] function "${name}" not found in namespace "${namespace}"`);
        yield* podLogs(client.config, namespace, name, logOptions, askedAt);
      })();
    },

    async list(): Promise<DeployedFunction[]> {
      const { items } = await client.listServices(FUNCTION_LABEL);
      return items.map((service) => ({
        name: service.metadata.labels?.[FUNCTION_LABEL] ?? service.metadata.name,
        revision: Number(service.metadata.annotations?.[REVISION_ANNOTATION] ?? 0),
        replicas: Number(templateAnnotations(service)[MIN_SCALE] ?? 1),
      }));
    },

    async dispose(): Promise<void> {
      watch.stop();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function template(service: KnativeObject): {
  metadata?: { annotations?: Record<string, string> };
  spec?: { containers?: { env?: { name: string; value?: string }[] }[] };
} {
  return (service.spec?.template ?? {}) as ReturnType<typeof template>;
}

function templateAnnotations(service: KnativeObject): Record<string, string> {
  return template(service).metadata?.annotations ?? {};
}

function containerEnv(service: KnativeObject): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of template(service).spec?.containers?.[0]?.env ?? []) env[variable.name] = variable.value ?? '';
  return env;
}

function defaultImageBuilder(options: KnativeDriverOptions, client: KnativeClient): KnativeImageBuilder {
  const kind = options.builder ?? (options.registry === undefined ? 'docker' : 'registry');
  if (kind === 'docker') return createDockerKnativeImageBuilder(options.registry === undefined ? {} : { registry: options.registry });
  if (options.registry === undefined) {
    throw new InvalidInputError(
      "[knative] the registry builder needs a registry to assemble images in: set DISPATCH_REGISTRY_URL (the chart's registry.url), or build on a Docker engine (DISPATCH_KNATIVE_BUILDER=docker, the chart's builder.dockerHost)",
    );
  }
  const buildJobs = createBuildJobRunner({
    config: client.config,
    namespace: client.namespace,
    registry: options.registry,
    ...options.buildJob,
  });
  return createRegistryKnativeImageBuilder({ registry: options.registry, buildJobs });
}
