import type { KubeObject } from './object-store.js';
import { isObject } from './patch.js';

/** One replica (a container) of a revision. */
export interface Replica {
  id: string;
  /** The name of the pod this replica stands for (`<revision>-deployment-<suffix>`). */
  podName: string;
  startedAt: number;
  hostPort?: number;
  ready: boolean;
  restarts: number;
}

export type RevisionPhase = 'pending' | 'ready' | 'failed' | 'retired';

/** What the reconciler keeps about one revision of a Service: its settings, its containers, its fate. */
export interface RevisionRuntime {
  name: string;
  /** The configuration generation: 1 for `<service>-00001`. */
  number: number;
  /** The template this revision was made from, as stable JSON, to tell whether a spec change needs a new one. */
  templateKey: string;
  image: string;
  port: number;
  env: Record<string, string>;
  /** The labels of the revision's pods: the template's, plus Knative's own. */
  labels: Record<string, string>;
  command?: string[];
  args?: string[];
  workingDir?: string;
  probePath?: string;
  timeoutSeconds: number;
  desiredReplicas: number;
  replicas: Replica[];
  phase: RevisionPhase;
  reason?: string;
  message?: string;
  createdAt: number;
  progressDeadlineMs: number;
  /** Round robin position of the ingress. */
  next: number;
}

const MIN_SCALE = 'autoscaling.knative.dev/min-scale';
const MAX_SCALE = 'autoscaling.knative.dev/max-scale';
const PROGRESS_DEADLINE = 'serving.knative.dev/progress-deadline';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (isObject(value) ? value : {});

/** Reads a revision's settings from its Service's `spec.template` (already defaulted and validated). */
export function revisionFromTemplate(
  service: KubeObject,
  number: number,
  templateKey: string,
  defaultProgressDeadlineMs: number,
): RevisionRuntime {
  const template = obj(service.spec?.template);
  const metadata = obj(template.metadata);
  const annotations = obj(metadata.annotations);
  const podSpec = obj(template.spec);
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers.map(obj) : [];
  // The serving container is the one with a port (or the only one); sidecars are not run by the harness.
  const container = containers.find((candidate) => Array.isArray(candidate.ports) && candidate.ports.length > 0) ?? containers[0] ?? {};
  const port = Number(obj(Array.isArray(container.ports) ? container.ports[0] : undefined).containerPort ?? 8080);
  const env: Record<string, string> = {};
  for (const variable of Array.isArray(container.env) ? container.env.map(obj) : []) {
    if (typeof variable.name === 'string') env[variable.name] = typeof variable.value === 'string' ? variable.value : '';
  }
  const name =
    typeof metadata.name === 'string' && metadata.name !== ''
      ? metadata.name
      : `${service.metadata.name}-${String(number).padStart(5, '0')}`;
  env.PORT = String(port);
  env.K_SERVICE = service.metadata.name;
  env.K_CONFIGURATION = service.metadata.name;
  env.K_REVISION = name;
  const probe = obj(obj(container.readinessProbe).httpGet);
  const min = Number(annotations[MIN_SCALE] ?? 0);
  const max = Number(annotations[MAX_SCALE] ?? 0);
  const desired = max > 0 ? Math.min(Math.max(1, min), max) : Math.max(1, min);
  const deadline = parseDuration(annotations[PROGRESS_DEADLINE]);
  const revision: RevisionRuntime = {
    name,
    number,
    templateKey,
    image: String(container.image ?? ''),
    port,
    env,
    labels: {
      ...Object.fromEntries(
        Object.entries(obj(metadata.labels)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      ),
      'serving.knative.dev/service': service.metadata.name,
      'serving.knative.dev/configuration': service.metadata.name,
      'serving.knative.dev/revision': name,
    },
    timeoutSeconds: Number(podSpec.timeoutSeconds ?? 300),
    desiredReplicas: desired,
    replicas: [],
    phase: 'pending',
    createdAt: Date.now(),
    progressDeadlineMs: deadline ?? defaultProgressDeadlineMs,
    next: 0,
  };
  if (Array.isArray(container.command)) revision.command = container.command.map(String);
  if (Array.isArray(container.args)) revision.args = container.args.map(String);
  if (typeof container.workingDir === 'string') revision.workingDir = container.workingDir;
  if (typeof probe.path === 'string') revision.probePath = probe.path;
  return revision;
}

/** `30s`, `2m`, `1h` (the forms Knative's progress-deadline annotation takes) → milliseconds. */
function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (match === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
