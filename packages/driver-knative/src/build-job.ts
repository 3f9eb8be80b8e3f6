import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ApiException, BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Job } from '@kubernetes/client-node';
import { BackendError, InvalidInputError, NotFoundError, assertValidName } from '@dispatch/core/driver';
import type { BuiltImage, ImageBuildSpec, ProgressListener } from '@dispatch/core/driver';
import { imageBuildContext } from '@dispatch/docker-builder';
import { RegistryClient, parseImageReference, registryAddress, registryPrefix } from '@dispatch/registry-builder';
import type { RegistrySettings } from '@dispatch/registry-builder';
import { followJobPod } from './build-job-log.js';

/** kaniko's executor, pinned: a build Job runs exactly this unless the chart names another builder image. */
export const DEFAULT_BUILD_JOB_IMAGE = 'gcr.io/kaniko-project/executor:v1.23.2';
/**
 * The most a build context may weigh, gzipped. It travels in a ConfigMap (etcd keeps at most 1 MiB per object,
 * base64 is not counted against binaryData); a context holds only the Dockerfile and the dependency manifest, so
 * a few KiB is usual and this bound is only met by an outsized manifest.
 */
export const MAX_BUILD_CONTEXT_BYTES = 512 * 1024;
const LAST_LINES = 12;

/** Compute resources of the build container, as Kubernetes writes them (`cpu: 500m`, `memory: 1Gi`). */
export interface BuildJobResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** Options of {@link createBuildJobRunner}. */
export interface BuildJobOptions {
  config: KubeConfig;
  namespace: string;
  /** Where the built image is pushed; its login reaches the Job as a Secret mounted at /kaniko/.docker. */
  registry: RegistrySettings;
  /** The builder image, speaking kaniko's executor's flags; default {@link DEFAULT_BUILD_JOB_IMAGE}. */
  image?: string;
  resources?: BuildJobResources;
  /** The Job's activeDeadlineSeconds; default 1200. */
  timeoutSeconds?: number;
  /** Milliseconds between reads of the Job's status; default 1000. */
  pollMs?: number;
}

/** Builds dependency images that need a real build (system packages, install scripts) in a Kubernetes Job. */
export interface BuildJobRunner {
  buildImage(spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage>;
}

/** Whether an image needs a real build: system packages or packages' install scripts (native modules). */
export function needsBuildJob(spec: ImageBuildSpec): boolean {
  return spec.systemPackages.length > 0 || spec.allowInstallScripts === true;
}

/**
 * Builds an image the registry builder cannot assemble: the same Dockerfile and context as the Docker builder
 * (docker-builder's `imageBuildContext`), handed to a batch/v1 Job running kaniko's executor, which pushes the
 * image to the registry. The context goes in a ConfigMap, the registry login in a Secret; the Job's pod log is
 * the build's progress, its last lines the reason of a failure; Job, ConfigMap and Secret are removed afterwards.
 * The same inputs make the same tag, so an image already in the registry is not built again.
 */
export function createBuildJobRunner(options: BuildJobOptions): BuildJobRunner {
  const { config, namespace, registry } = options;
  const batch = config.makeApiClient(BatchV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const image = options.image ?? DEFAULT_BUILD_JOB_IMAGE;
  const timeoutSeconds = options.timeoutSeconds ?? 1200;
  const pollMs = options.pollMs ?? 1000;
  const own = registryAddress(registry);
  const credentials = registry.username === undefined ? undefined : { username: registry.username, password: registry.password ?? '' };
  const client = new RegistryClient({
    registry: own.host,
    ...(credentials === undefined ? {} : { credentials }),
    ...(own.insecure ? { insecure: true } : {}),
    errorPrefix: 'knative',
  });

  async function existing(repository: string, tag: string): Promise<string | undefined> {
    try {
      return (await client.getManifest(repository, tag)).digest;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  return {
    async buildImage(spec, onProgress) {
      assertValidName('image', spec.name);
      const build = await imageBuildContext(spec);
      const context = gzipSync(build.context);
      if (context.length > MAX_BUILD_CONTEXT_BYTES) {
        throw new InvalidInputError(
          `[knative] image "${spec.name}": its build context is ${context.length} bytes gzipped, over the ${MAX_BUILD_CONTEXT_BYTES} a build Job's ConfigMap carries; make the dependency manifest smaller`,
        );
      }
      const destination = `${registryPrefix(registry)}image-${spec.name}:${build.hash}`;
      const ref = parseImageReference(destination);
      const found = await existing(ref.repository, build.hash);
      if (found !== undefined) return { imageURL: `${own.host}/${ref.repository}@${found}` };

      const name = `build-${spec.name.slice(0, 40).replace(/-+$/, '')}-${build.hash.slice(0, 8)}-${randomBytes(2).toString('hex')}`;
      const labels = { 'app.kubernetes.io/managed-by': 'dispatch', 'dispatch.image': spec.name };
      const what = `build of image "${spec.name}"`;
      const args = [
        '--context=tar:///workspace/context.tar.gz',
        `--dockerfile=${build.dockerfile}`,
        `--destination=${destination}`,
        ...Object.entries(build.buildArgs).map(([key, value]) => `--build-arg=${key}=${value}`),
        ...(own.insecure ? ['--insecure', '--insecure-pull', '--skip-tls-verify', '--skip-tls-verify-pull'] : []),
      ];
      const job: V1Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, labels },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: timeoutSeconds,
          // The driver removes the Job; this removes one whose gateway died mid-build.
          ttlSecondsAfterFinished: 3600,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              containers: [
                {
                  name: 'build',
                  image,
                  args,
                  volumeMounts: [
                    { name: 'context', mountPath: '/workspace', readOnly: true },
                    ...(credentials === undefined ? [] : [{ name: 'registry', mountPath: '/kaniko/.docker', readOnly: true }]),
                  ],
                  ...(options.resources === undefined ? {} : { resources: options.resources }),
                },
              ],
              volumes: [
                { name: 'context', configMap: { name } },
                ...(credentials === undefined
                  ? []
                  : [{ name: 'registry', secret: { secretName: name, items: [{ key: 'config.json', path: 'config.json' }] } }]),
              ],
            },
          },
        },
      };
      const created: Array<() => Promise<unknown>> = [];
      try {
        if (credentials !== undefined) {
          const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
          await call(`creating the registry Secret of the ${what}`, () =>
            core.createNamespacedSecret({
              namespace,
              body: {
                apiVersion: 'v1',
                kind: 'Secret',
                metadata: { name, labels },
                type: 'Opaque',
                data: { 'config.json': Buffer.from(JSON.stringify({ auths: { [own.host]: { auth } } })).toString('base64') },
              },
            }),
          );
          created.push(() => core.deleteNamespacedSecret({ name, namespace }));
        }
        await call(`creating the context ConfigMap of the ${what}`, () =>
          core.createNamespacedConfigMap({
            namespace,
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name, labels },
              binaryData: { 'context.tar.gz': context.toString('base64') },
            },
          }),
        );
        created.push(() => core.deleteNamespacedConfigMap({ name, namespace }));
        await call(`creating the Job of the ${what}`, () => batch.createNamespacedJob({ namespace, body: job }));
        created.push(() => batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }));
        onProgress?.(`[knative] ${what}: Job ${name} runs ${image}`);
        const outcome = await followJobPod({
          config,
          batch,
          core,
          namespace,
          name,
          pollMs,
          // The driver's own bound, a minute past the Job's, in case nothing reports the deadline.
          deadline: Date.now() + (timeoutSeconds + 60) * 1000,
          keepLines: LAST_LINES,
          onLine: (line) => onProgress?.(line),
        });
        if (!outcome.succeeded) {
          const tail = outcome.lastLines.length > 0 ? `: ${outcome.lastLines.join(' | ')}` : '';
          throw new BackendError(`[knative] ${what} failed (Job ${name}: ${outcome.reason})${tail}`);
        }
        const digest = await existing(ref.repository, build.hash);
        if (digest === undefined) throw new BackendError(`[knative] ${what}: the Job succeeded but ${destination} is not in the registry`);
        onProgress?.(`[knative] ${what}: pushed ${own.host}/${ref.repository}@${digest}`);
        return { imageURL: `${own.host}/${ref.repository}@${digest}` };
      } finally {
        for (const remove of created.reverse()) await remove().catch(() => undefined);
      }
    },
  };
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiException) {
      const status = (error as ApiException<unknown>).code;
      const body = (error as ApiException<unknown>).body;
      const message = typeof body === 'string' ? (safeMessage(body) ?? body) : error.message;
      throw new BackendError(`[knative] ${what}: HTTP ${status}: ${message}`, { cause: error });
    }
    throw new BackendError(`[knative] ${what}: ${(error as Error).message}`, { cause: error });
  }
}

function safeMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}
