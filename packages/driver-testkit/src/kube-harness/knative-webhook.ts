import { KubeApiError } from './api-errors.js';
import { isObject } from './patch.js';

/** Ports Knative keeps for its queue-proxy and activator. */
export const RESERVED_PORTS: ReadonlySet<number> = new Set([8012, 8013, 8022, 9090, 9091, 8008]);
const AUTOSCALING = 'autoscaling.knative.dev/';
const MAX_TIMEOUT_SECONDS = 600;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

type Obj = Record<string, unknown>;

const obj = (value: unknown): Obj => (isObject(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * What Knative's defaulting webhook adds to a Service before it is stored: the container's name, the
 * revision timeout, containerConcurrency, a readiness probe, and 100% of traffic to the latest revision.
 */
export function defaultKnativeService(service: Obj, user: string, creating: boolean): void {
  const metadata = obj(service.metadata);
  const annotations = obj(metadata.annotations);
  if (creating) annotations['serving.knative.dev/creator'] = user;
  annotations['serving.knative.dev/lastModifier'] = user;
  metadata.annotations = annotations;
  const spec = obj(service.spec);
  service.spec = spec;
  const template = obj(spec.template);
  spec.template = template;
  const podSpec = obj(template.spec);
  template.spec = podSpec;
  podSpec.timeoutSeconds ??= 300;
  podSpec.containerConcurrency ??= 0;
  podSpec.enableServiceLinks ??= false;
  const containers = list(podSpec.containers);
  for (const container of containers) {
    if (!isObject(container)) continue;
    if (containers.length === 1) container.name ??= 'user-container';
    container.readinessProbe ??= { tcpSocket: { port: 0 } };
    const probe = obj(container.readinessProbe);
    probe.successThreshold ??= 1;
    container.resources ??= {};
  }
  if (spec.traffic === undefined) spec.traffic = [{ latestRevision: true, percent: 100 }];
}

/**
 * Knative's validating webhook, for the rules the CRD schema cannot express. Throws the webhook's
 * denial (400) listing every broken rule.
 */
export function validateKnativeService(service: Obj): void {
  const errors: string[] = [];
  const metadata = obj(service.metadata);
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    errors.push(
      `not a DNS 1035 label: [a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character]: metadata.name`,
    );
  }
  for (const key of Object.keys(obj(metadata.annotations))) {
    if (key.startsWith(AUTOSCALING)) {
      errors.push(
        `invalid key name "${key}": metadata.annotations\nautoscaling annotations must be put under spec.template.metadata.annotations to work`,
      );
    }
  }
  const spec = obj(service.spec);
  const template = obj(spec.template);
  validateAutoscaling(obj(obj(template.metadata).annotations), errors);
  const podSpec = obj(template.spec);
  const containers = list(podSpec.containers);
  if (containers.length === 0) errors.push('missing field(s): spec.template.spec.containers');
  containers.forEach((container, index) => validateContainer(obj(container), `spec.template.spec.containers[${index}]`, errors));
  const timeout = podSpec.timeoutSeconds;
  if (typeof timeout === 'number' && (timeout < 0 || timeout > MAX_TIMEOUT_SECONDS)) {
    errors.push(`expected 0 <= ${timeout} <= ${MAX_TIMEOUT_SECONDS}: spec.template.spec.timeoutSeconds`);
  }
  const concurrency = podSpec.containerConcurrency;
  if (typeof concurrency === 'number' && (concurrency < 0 || concurrency > 1000)) {
    errors.push(`expected 0 <= ${concurrency} <= 1000: spec.template.spec.containerConcurrency`);
  }
  const percents = list(spec.traffic).map((target) => Number(obj(target).percent ?? 0));
  if (percents.length > 0 && percents.reduce((sum, percent) => sum + percent, 0) !== 100) {
    errors.push('Traffic targets sum to ' + percents.reduce((sum, percent) => sum + percent, 0) + ', want 100: spec.traffic');
  }
  if (errors.length > 0) {
    throw new KubeApiError(
      400,
      'BadRequest',
      `admission webhook "validation.webhook.serving.knative.dev" denied the request: validation failed: ${errors.join('\n')}`,
    );
  }
}

function validateContainer(container: Obj, path: string, errors: string[]): void {
  if (typeof container.image !== 'string' || container.image === '') errors.push(`missing field(s): ${path}.image`);
  const ports = list(container.ports);
  if (ports.length > 1) errors.push(`more than one container port is set: ${path}.ports\nOnly a single port is allowed`);
  ports.forEach((port, index) => {
    const number = obj(port).containerPort;
    if (typeof number === 'number' && RESERVED_PORTS.has(number)) {
      errors.push(`port ${number} is reserved: ${path}.ports[${index}].containerPort`);
    }
  });
  list(container.env).forEach((variable, index) => {
    const name = obj(variable).name;
    if (name === 'PORT' || (typeof name === 'string' && name.startsWith('K_'))) {
      errors.push(`"${String(name)}" is a reserved environment variable: ${path}.env[${index}].name`);
    }
  });
}

function validateAutoscaling(annotations: Obj, errors: string[]): void {
  const field = 'spec.template.metadata.annotations';
  const read = (key: string): number | undefined => {
    const value = annotations[`${AUTOSCALING}${key}`];
    if (value === undefined) return undefined;
    const number = Number(value);
    if (typeof value !== 'string' || !Number.isInteger(number) || number < 0) {
      errors.push(`invalid value: ${String(value)}: ${field}.${AUTOSCALING}${key}`);
      return undefined;
    }
    return number;
  };
  const min = read('min-scale');
  const max = read('max-scale');
  if (min !== undefined && max !== undefined && max !== 0 && min > max) {
    errors.push(`min-scale=${min} is greater than max-scale=${max}: ${field}.${AUTOSCALING}min-scale`);
  }
}
