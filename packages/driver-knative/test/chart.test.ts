/* eslint-disable @typescript-eslint/no-explicit-any -- the tests read rendered Kubernetes objects */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { knativeServiceSchema } from '@dispatch/driver-testkit/kube-harness';
import { helm } from './helm.js';

const chart = fileURLToPath(new URL('../../../charts/dispatch', import.meta.url));

const customised = [
  '--set',
  'registry.url=registry.example.com:5000',
  '--set',
  'registry.repository=team',
  '--set',
  'registry.username=bot',
  '--set',
  'registry.password=s3cret',
  '--set',
  'registry.insecure=true',
  '--set',
  'ingress.enabled=true',
  '--set',
  'ingress.className=nginx',
  '--set',
  'knative.namespace=functions',
  '--set',
  'knative.maxScale=5',
  '--set',
  'adminToken.value=admintoken',
  '--set',
  'persistence.storageClass=fast',
  '--set',
  'builder.dockerHost=tcp://docker:2375',
];

async function render(extra: string[] = []): Promise<any[]> {
  const { stdout } = await helm(['template', 'dispatch-server', chart, '--namespace', 'dispatch-server', ...extra]);
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as any)
    .filter((object) => object !== null);
}

/** What every rendered object must have, and what each kind must hold; Knative objects meet the CRD. */
/** What the registry builder's build Jobs need: the Job, its context ConfigMap and registry Secret, created and removed. */
const BUILD_JOB_RULES = [
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'create', 'delete'] },
  { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['create', 'delete'] },
];

function validate(object: any): void {
  expect(typeof object.apiVersion).toBe('string');
  expect(typeof object.kind).toBe('string');
  expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  if (object.apiVersion === 'serving.knative.dev/v1') expect(knativeServiceSchema().validate(object)).toEqual([]);
  switch (object.kind) {
    case 'Deployment': {
      const container = object.spec.template.spec.containers[0];
      expect(object.spec.selector.matchLabels).toEqual(expect.objectContaining(object.spec.template.metadata.labels));
      expect(container.readinessProbe.httpGet.path).toBe('/healthz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.env).toContainEqual({ name: 'DISPATCH_BACKEND', value: 'knative' });
      break;
    }
    case 'Service':
      expect(object.spec.ports[0].targetPort).toBe(object.metadata.name.endsWith('-postgresql') ? 'postgresql' : 'http');
      break;
    case 'Secret':
      for (const value of Object.values(object.data ?? {})) expect(Buffer.from(String(value), 'base64').length).toBeGreaterThan(0);
      break;
    case 'Role':
      // Nothing beyond what the driver calls.
      expect(object.rules.slice(0, 4)).toEqual([
        {
          apiGroups: ['serving.knative.dev'],
          resources: ['services'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: ['serving.knative.dev'], resources: ['revisions'], verbs: ['get'] },
        // `dispatch logs` reads the function's pods' logs, and nothing more of the core API.
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      ]);
      // Build Jobs (registry builder only): the Job, its context ConfigMap and registry Secret, created and removed.
      expect([[], BUILD_JOB_RULES]).toContainEqual(object.rules.slice(4));
      break;
    case 'RoleBinding':
      expect(object.roleRef.kind).toBe('Role');
      break;
    case 'PersistentVolumeClaim':
      expect(object.spec.resources.requests.storage).toBeDefined();
      break;
    case 'Ingress':
      expect(object.spec.rules[0].http.paths[0].backend.service.port.name).toBe('http');
      break;
    case 'ServiceAccount':
      break;
    case 'ServiceMonitor':
      expect(object.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(object.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
      break;
    case 'StatefulSet': {
      const container = object.spec.template.spec.containers[0];
      expect(object.spec.selector.matchLabels).toEqual(expect.objectContaining(object.spec.template.metadata.labels));
      expect(container.readinessProbe.exec.command[0]).toBe('pg_isready');
      expect(object.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBeDefined();
      break;
    }
    default:
      throw new Error(`unexpected kind ${object.kind} rendered`);
  }
}

describe('charts/dispatch', () => {
  it('passes helm lint, with default and customised values', async () => {
    await helm(['lint', chart]);
    await helm(['lint', chart, ...customised]);
    await helm(['lint', chart, '--set', 'postgresql.enabled=true', '--set', 'replicaCount=2']);
  }, 60_000);

  it('renders valid objects with the default values: the gateway on the knative backend, its store on a volume', async () => {
    const objects = await render();
    for (const object of objects) validate(object);
    expect(objects.map((object) => object.kind).sort()).toEqual([
      'Deployment',
      'PersistentVolumeClaim',
      'Role',
      'RoleBinding',
      'Secret',
      'Secret',
      'Service',
      'ServiceAccount',
    ]);
    const deployment = objects.find((object) => object.kind === 'Deployment');
    expect(deployment.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('dispatch-server');
    // The admin token reaches the gateway as a file from its Secret, never as a variable.
    const gateway = deployment.spec.template.spec.containers[0];
    expect(gateway.env).toContainEqual({ name: 'DISPATCH_TOKEN_FILE', value: '/etc/dispatch/admin/token' });
    expect(gateway.env.some((variable: any) => variable.name === 'DISPATCH_TOKEN')).toBe(false);
    expect(gateway.volumeMounts).toContainEqual({ name: 'admin-token', mountPath: '/etc/dispatch/admin', readOnly: true });
    expect(deployment.spec.template.spec.volumes).toContainEqual({
      name: 'admin-token',
      secret: { secretName: 'dispatch-server-admin', defaultMode: 0o440, items: [{ key: 'token', path: 'token' }] },
    });
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
      name: 'DISPATCH_KNATIVE_NAMESPACE',
      value: 'dispatch-server',
    });
    // Images are assembled in the registry by default: no Docker engine for the gateway.
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: 'DISPATCH_KNATIVE_BUILDER', value: 'registry' });
    // What needs a real build goes to a Job running kaniko's executor (pinned), which the gateway may create.
    expect(gateway.env).toContainEqual({ name: 'DISPATCH_KNATIVE_BUILD_JOB_IMAGE', value: 'gcr.io/kaniko-project/executor:v1.23.2' });
    expect(gateway.env).toContainEqual({ name: 'DISPATCH_KNATIVE_BUILD_JOB_TIMEOUT', value: '1200' });
    expect(objects.find((object) => object.kind === 'Role').rules.slice(4)).toEqual(BUILD_JOB_RULES);
    const sized = await render(['--set', 'builder.jobResources.limits.memory=2Gi']);
    expect(sized.find((object) => object.kind === 'Deployment').spec.template.spec.containers[0].env).toContainEqual({
      name: 'DISPATCH_KNATIVE_BUILD_JOB_RESOURCES',
      value: '{"limits":{"memory":"2Gi"}}',
    });
    expect(deployment.spec.template.spec.containers[0].env.some((variable: any) => variable.name === 'DOCKER_HOST')).toBe(false);
  }, 60_000);

  it('exposes /metrics for scraping: pod annotations, a metrics-only token from its own Secret', async () => {
    const objects = await render();
    const pod = objects.find((object) => object.kind === 'Deployment').spec.template;
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    const gateway = pod.spec.containers[0];
    expect(gateway.env).toContainEqual({ name: 'DISPATCH_METRICS_TOKEN_FILE', value: '/etc/dispatch/metrics/token' });
    expect(gateway.env.some((variable: any) => variable.name === 'DISPATCH_METRICS_PUBLIC')).toBe(false);
    expect(gateway.volumeMounts).toContainEqual({ name: 'metrics-token', mountPath: '/etc/dispatch/metrics', readOnly: true });
    expect(pod.spec.volumes).toContainEqual({
      name: 'metrics-token',
      secret: { secretName: 'dispatch-server-metrics', defaultMode: 0o440, items: [{ key: 'token', path: 'token' }] },
    });
    const secret = objects.find((object) => object.kind === 'Secret' && object.metadata.name === 'dispatch-server-metrics');
    // Generated, and not the admin token.
    const admin = objects.find((object) => object.kind === 'Secret' && object.metadata.name === 'dispatch-server-admin');
    expect(Buffer.from(secret.data.token, 'base64').toString()).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(secret.data.token).not.toBe(admin.data.token);
    expect(objects.some((object) => object.kind === 'ServiceMonitor')).toBe(false);
  }, 60_000);

  it('renders a ServiceMonitor that sends the metrics token, and honours an existing Secret and public metrics', async () => {
    const objects = await render([
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.serviceMonitor.labels.release=kube-prometheus',
      '--set',
      'metrics.token.existingSecret=scrape-token',
      '--set',
      'metrics.public=true',
      '--set',
      'metrics.podAnnotations=false',
    ]);
    for (const object of objects) validate(object);
    const monitor = objects.find((object) => object.kind === 'ServiceMonitor');
    expect(monitor.metadata.labels.release).toBe('kube-prometheus');
    expect(monitor.spec.endpoints[0].authorization).toEqual({ type: 'Bearer', credentials: { name: 'scrape-token', key: 'token' } });
    const service = objects.find((object) => object.kind === 'Service');
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[key]).toBe(value);
    expect(objects.some((object) => object.kind === 'Secret' && object.metadata.name.endsWith('-metrics'))).toBe(false);
    const pod = objects.find((object) => object.kind === 'Deployment').spec.template;
    expect(pod.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    expect(pod.spec.containers[0].env).toContainEqual({ name: 'DISPATCH_METRICS_PUBLIC', value: 'true' });
    expect(pod.spec.volumes.find((volume: any) => volume.name === 'metrics-token').secret.secretName).toBe('scrape-token');
    await helm(['lint', chart, '--set', 'metrics.serviceMonitor.enabled=true']);
  }, 60_000);

  it('renders valid objects with customised values: registry credentials from a Secret, an Ingress, another namespace', async () => {
    const objects = await render(customised);
    for (const object of objects) validate(object);
    const env = objects.find((object) => object.kind === 'Deployment').spec.template.spec.containers[0].env as any[];
    expect(env).toContainEqual({ name: 'DISPATCH_REGISTRY_URL', value: 'registry.example.com:5000' });
    // The admin API answers to the Ingress's host name (it refuses names it does not serve).
    expect(env).toContainEqual({ name: 'DISPATCH_ALLOWED_HOSTS', value: 'dispatch.local' });
    expect(env).toContainEqual({ name: 'DISPATCH_REGISTRY_INSECURE', value: 'true' });
    expect(env).toContainEqual({ name: 'DISPATCH_KNATIVE_BUILDER', value: 'docker' });
    expect(env).toContainEqual({ name: 'DOCKER_HOST', value: 'tcp://docker:2375' });
    // Builds happen on that engine: no build Jobs, and no right to create them.
    expect(env.some((variable) => variable.name === 'DISPATCH_KNATIVE_BUILD_JOB_IMAGE')).toBe(false);
    expect(objects.find((object) => object.kind === 'Role').rules).toHaveLength(4);
    expect(env.find((variable) => variable.name === 'DISPATCH_REGISTRY_PASSWORD').valueFrom.secretKeyRef.name).toBe(
      'dispatch-server-registry',
    );
    const registry = objects.find((object) => object.kind === 'Secret' && object.metadata.name === 'dispatch-server-registry');
    expect(Buffer.from(registry.data.password, 'base64').toString()).toBe('s3cret');
    expect(objects.find((object) => object.kind === 'Role').metadata.namespace).toBe('functions');
    expect(objects.some((object) => object.kind === 'Ingress')).toBe(true);
  }, 60_000);

  it('runs several gateway replicas on a bundled PostgreSQL, its URL and password in a Secret', async () => {
    const objects = await render(['--set', 'postgresql.enabled=true', '--set', 'replicaCount=2', '--set', 'postgresql.password=pgpass']);
    for (const object of objects) validate(object);
    expect(objects.map((object) => object.kind).sort()).toEqual([
      'Deployment',
      'Role',
      'RoleBinding',
      'Secret',
      'Secret',
      'Secret',
      'Service',
      'Service',
      'ServiceAccount',
      'StatefulSet',
    ]);
    const deployment = objects.find((object) => object.kind === 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    expect(deployment.spec.template.spec.volumes[0]).toEqual({ name: 'data', emptyDir: {} });
    const env = deployment.spec.template.spec.containers[0].env as any[];
    expect(env.find((variable) => variable.name === 'DISPATCH_STORE_URL').valueFrom.secretKeyRef).toEqual({
      name: 'dispatch-server-store',
      key: 'url',
    });
    const store = objects.find((object) => object.kind === 'Secret' && object.metadata.name === 'dispatch-server-store');
    expect(Buffer.from(store.data.url, 'base64').toString()).toBe('postgres://dispatch:pgpass@dispatch-server-postgresql:5432/dispatch');
    const postgres = objects.find((object) => object.kind === 'StatefulSet');
    expect(postgres.spec.template.spec.containers[0].env).toContainEqual({
      name: 'POSTGRES_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'dispatch-server-store', key: 'password' } },
    });
  }, 60_000);

  it('uses an existing database, and refuses several replicas on the SQLite store', async () => {
    const objects = await render([
      '--set',
      'externalDatabase.url=postgres://dispatch:pw@db.example:5432/dispatch',
      '--set',
      'replicaCount=3',
    ]);
    for (const object of objects) validate(object);
    expect(objects.some((object) => object.kind === 'StatefulSet' || object.kind === 'PersistentVolumeClaim')).toBe(false);
    const store = objects.find((object) => object.kind === 'Secret' && object.metadata.name === 'dispatch-server-store');
    expect(Buffer.from(store.data.url, 'base64').toString()).toBe('postgres://dispatch:pw@db.example:5432/dispatch');
    const secretRef = await render([
      '--set',
      'externalDatabase.existingSecret=db',
      '--set',
      'externalDatabase.existingSecretKey=dsn',
      '--set',
      'replicaCount=2',
    ]);
    const env = secretRef.find((object) => object.kind === 'Deployment').spec.template.spec.containers[0].env as any[];
    expect(env.find((variable) => variable.name === 'DISPATCH_STORE_URL').valueFrom.secretKeyRef).toEqual({ name: 'db', key: 'dsn' });
    await expect(render(['--set', 'replicaCount=2'])).rejects.toThrow(/replicaCount > 1 needs a shared store/);
  }, 60_000);
});
