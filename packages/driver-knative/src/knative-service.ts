import { InvalidInputError } from '@dispatch/core/driver';
import type { DeploySpec } from '@dispatch/core/driver';

/** A Knative object as the driver reads and writes it (only the fields it uses are typed). */
export interface KnativeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: KnativeStatus;
}

export interface KnativeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface KnativeStatus {
  observedGeneration?: number;
  conditions?: KnativeCondition[];
  latestCreatedRevisionName?: string;
  latestReadyRevisionName?: string;
  url?: string;
  address?: { url?: string };
  actualReplicas?: number;
  desiredReplicas?: number;
}

/** The labels every function's Service (and its revisions) carries. */
export const FUNCTION_LABEL = 'dispatch.function';
export const NAME_LABEL = 'dispatchframework.io/name';
export const REVISION_ANNOTATION = 'dispatchframework.io/revision';
export const MIN_SCALE = 'autoscaling.knative.dev/min-scale';
export const MAX_SCALE = 'autoscaling.knative.dev/max-scale';
export const TARGET = 'autoscaling.knative.dev/target';
export const INITIAL_SCALE = 'autoscaling.knative.dev/initial-scale';
/** The port the function server listens on: Knative passes it as $PORT, which nobody else may set. */
export const CONTAINER_PORT = 8080;
/** Knative's ceiling of a revision's timeoutSeconds (max-revision-timeout-seconds). */
const MAX_TIMEOUT_SECONDS = 600;
/** Room for the function server's own timeout reply to arrive before Knative cuts the request. */
const TIMEOUT_MARGIN_SECONDS = 5;

/** What a Service is made from: the deploy spec and the function image built for it. */
export interface ServiceManifestInput {
  spec: DeploySpec;
  functionImageURL: string;
  namespace: string;
  containerConcurrency: number;
  maxScale?: number;
}

/** Env names Knative reserves for itself: the webhook rejects them. */
export function assertAllowedEnv(name: string, env: Record<string, string>): void {
  for (const key of Object.keys(env)) {
    if (key === 'PORT' || key.startsWith('K_')) {
      throw new InvalidInputError(
        `[knative] function "${name}": env "${key}" is reserved by Knative (PORT and K_* are set by the platform)`,
      );
    }
  }
}

/** The revision's request timeout: the function's timeout plus a margin, within Knative's limits. */
export function revisionTimeoutSeconds(timeoutMs: number): number {
  if (timeoutMs <= 0) return 300;
  return Math.min(MAX_TIMEOUT_SECONDS, Math.ceil(timeoutMs / 1000) + TIMEOUT_MARGIN_SECONDS);
}

/**
 * The Knative Service that runs a function: its image, the function server in HTTP mode on $PORT, probes
 * on /healthz, the scale as annotations of the revision template, and labels that find it again.
 */
export function serviceManifest(input: ServiceManifestInput): KnativeObject {
  const { spec } = input;
  assertAllowedEnv(spec.name, spec.env);
  const labels = { [FUNCTION_LABEL]: spec.name, [NAME_LABEL]: spec.name, 'app.kubernetes.io/managed-by': 'dispatch' };
  const scale: Record<string, string> = { [MIN_SCALE]: String(spec.replicas) };
  if (input.maxScale !== undefined && input.maxScale > 0) scale[MAX_SCALE] = String(Math.max(input.maxScale, spec.replicas));
  if (spec.autoscaling !== undefined) {
    // Knative's autoscaler scales the function (the activator holds calls at zero): the bounds become its own.
    const { min, max, target } = spec.autoscaling;
    Object.assign(scale, {
      [MIN_SCALE]: String(min),
      [MAX_SCALE]: String(max),
      [TARGET]: String(target),
      [INITIAL_SCALE]: String(spec.replicas),
    });
  }
  const env = [
    { name: 'DISPATCH_MODE', value: 'http' },
    { name: 'DISPATCH_HANDLER', value: spec.handler },
    { name: 'DISPATCH_TIMEOUT_MS', value: String(spec.timeout) },
    // The function's output also goes to the container's, where pods/log (and `dispatch logs`) read it.
    { name: 'DISPATCH_TEE_LOGS', value: '1' },
    ...Object.keys(spec.env)
      .sort()
      .map((key) => ({ name: key, value: spec.env[key] ?? '' })),
  ];
  const probe = { httpGet: { path: '/healthz' }, periodSeconds: 2, failureThreshold: 3 };
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: spec.name,
      namespace: input.namespace,
      labels,
      annotations: { [REVISION_ANNOTATION]: String(spec.revision), 'dispatchframework.io/language': spec.language },
    },
    spec: {
      template: {
        metadata: {
          labels,
          annotations: { ...scale, [REVISION_ANNOTATION]: String(spec.revision) },
        },
        spec: {
          containerConcurrency: input.containerConcurrency,
          timeoutSeconds: revisionTimeoutSeconds(spec.timeout),
          containers: [
            {
              image: input.functionImageURL,
              ports: [{ name: 'http1', containerPort: CONTAINER_PORT }],
              env,
              readinessProbe: { ...probe, periodSeconds: 1 },
              livenessProbe: probe,
              ...(resourceLimits(spec) ? { resources: { limits: resourceLimits(spec) } } : {}),
            },
          ],
        },
      },
    },
  };
}

/** The function's limits as a container's `resources.limits` (Kubernetes quantities); undefined without limits. */
export function resourceLimits(spec: DeploySpec): { memory?: string; cpu?: string } | undefined {
  const { memoryMB, cpus } = spec.limits ?? {};
  if (memoryMB === undefined && cpus === undefined) return undefined;
  return { ...(memoryMB === undefined ? {} : { memory: `${memoryMB}Mi` }), ...(cpus === undefined ? {} : { cpu: String(cpus) }) };
}
