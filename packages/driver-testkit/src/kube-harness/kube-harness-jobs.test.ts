/* eslint-disable @typescript-eslint/no-explicit-any -- the tests read JSON bodies of the API under test */
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireEngine } from '../engines.js';
import { eventually } from '../helpers.js';
import { startKubeHarness } from './kube-harness.js';
import type { KubeHarness } from './kube-harness.js';
import { HARNESS_LABEL } from './container-runtime.js';

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const CONFIG_MAPS = '/api/v1/namespaces/default/configmaps';
const SECRETS = '/api/v1/namespaces/default/secrets';
const image = process.env.DISPATCH_LOCAL_DEBIAN_IMAGE ?? 'dispatch-local/debian:bookworm';

function job(name: string, script: string, spec: Record<string, unknown> = {}, pod: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, command: ['sh', '-c', script] }], ...pod } },
    },
  };
}

function harnessCalls(get: () => KubeHarness) {
  return async (method: string, path: string, body?: unknown) => {
    const harness = get();
    const response = await fetch(`${harness.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${harness.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text.startsWith('{') ? JSON.parse(text) : text) as any };
  };
}

describe('Kubernetes API harness: Jobs, ConfigMaps and Secrets (no containers)', () => {
  let harness: KubeHarness;
  const call = harnessCalls(() => harness);
  beforeAll(async () => {
    harness = await startKubeHarness({ reconcile: false });
  });
  afterAll(async () => harness.close());

  it('checks a Job against the batch/v1 schema and the API server rules, and defaults it', async () => {
    const badImage = job('bad-image', 'true');
    (badImage as any).spec.template.spec.containers[0].image = 42;
    const typed = await call('POST', JOBS, badImage);
    expect(typed.status).toBe(422);
    expect(typed.body.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.template.spec.containers[0].image' }));
    const always = await call('POST', JOBS, job('always', 'true', {}, { restartPolicy: 'Always' }));
    expect(always.status).toBe(422);
    expect(always.body.details.causes[0]).toMatchObject({ field: 'spec.template.spec.restartPolicy', reason: 'FieldValueNotSupported' });
    const created = await call('POST', JOBS, job('fine', 'true', { backoffLimit: undefined }));
    expect(created.status).toBe(201);
    expect(created.body.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1 });
    expect(created.body.spec.template.metadata.labels).toEqual({ 'batch.kubernetes.io/job-name': 'fine', 'job-name': 'fine' });
    expect((await call('GET', '/apis/batch/v1')).body.resources[0]).toMatchObject({ name: 'jobs', kind: 'Job' });
    expect((await call('DELETE', `${JOBS}/fine`)).status).toBe(200);
    expect((await call('GET', `${JOBS}/fine`)).status).toBe(404);
  });

  it('bounds ConfigMap data to 1 MiB and folds a Secret stringData into data', async () => {
    const big = await call('POST', CONFIG_MAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      binaryData: { blob: Buffer.alloc(1024 * 1024 + 1).toString('base64') },
    });
    expect(big.status).toBe(422);
    const secret = await call('POST', SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'b' } });
    expect(secret.status).toBe(201);
    expect(secret.body.data).toEqual({ a: Buffer.from('b').toString('base64') });
    expect(secret.body.stringData).toBeUndefined();
  });
});

const engine = await requireEngine('docker');

describe.runIf(engine)('Kubernetes API harness: a Job runs its pod on Docker', () => {
  let harness: KubeHarness;
  const call = harnessCalls(() => harness);
  const docker = new Docker();
  beforeAll(async () => {
    harness = await startKubeHarness();
  });
  afterAll(async () => harness.close());

  const status = async (name: string) => (await call('GET', `${JOBS}/${name}`)).body.status ?? {};
  const condition = (jobStatus: any, type: string) => jobStatus.conditions?.find((item: any) => item.type === type);

  it('mounts a ConfigMap, completes, and serves the pod and its log', async () => {
    await call('POST', CONFIG_MAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'greeting' },
      data: { text: 'hello from a ConfigMap' },
    });
    const pod = { volumes: [{ name: 'config', configMap: { name: 'greeting' } }] };
    const body = job('reads', 'cat /config/text; echo', {}, pod);
    (body as any).spec.template.spec.containers[0].volumeMounts = [{ name: 'config', mountPath: '/config' }];
    expect((await call('POST', JOBS, body)).status).toBe(201);
    await eventually(async () => expect(condition(await status('reads'), 'Complete')?.status).toBe('True'), 60_000);
    expect(await status('reads')).toMatchObject({ succeeded: 1, completionTime: expect.any(String), startTime: expect.any(String) });
    const pods = (await call('GET', `/api/v1/namespaces/default/pods?labelSelector=batch.kubernetes.io/job-name%3Dreads`)).body.items;
    expect(pods).toHaveLength(1);
    expect(pods[0].status).toMatchObject({ phase: 'Succeeded' });
    expect(pods[0].status.containerStatuses[0].state.terminated.exitCode).toBe(0);
    const log = await call('GET', `/api/v1/namespaces/default/pods/${pods[0].metadata.name}/log?container=main`);
    expect(log.body).toBe('hello from a ConfigMap\n');
    expect((await call('DELETE', `${JOBS}/reads?propagationPolicy=Background`)).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods?labelSelector=job-name%3Dreads')).body.items).toEqual([]);
  }, 90_000);

  it('fails a Job whose pod fails past its backoff limit, and one that outlives its deadline', async () => {
    await call('POST', JOBS, job('fails', 'echo broken; exit 3'));
    await call('POST', JOBS, job('slow', 'sleep 60', { activeDeadlineSeconds: 2 }));
    await eventually(async () => expect(condition(await status('fails'), 'Failed')?.reason).toBe('BackoffLimitExceeded'), 60_000);
    expect(await status('fails')).toMatchObject({ failed: 1 });
    expect(await status('fails')).not.toHaveProperty('succeeded');
    await eventually(async () => expect(condition(await status('slow'), 'Failed')?.reason).toBe('DeadlineExceeded'), 60_000);
    for (const name of ['fails', 'slow']) await call('DELETE', `${JOBS}/${name}?propagationPolicy=Background`);
    await eventually(async () => {
      const left = await docker.listContainers({ all: true, filters: { label: [HARNESS_LABEL] } });
      expect(left.filter((container) => /-(fails|slow)-/.test(container.Names[0] ?? ''))).toEqual([]);
    }, 20_000);
  }, 120_000);

  it('keeps a Job pending while the ConfigMap it mounts is missing', async () => {
    const body = job('waits', 'true', {}, { volumes: [{ name: 'config', configMap: { name: 'absent' } }] });
    (body as any).spec.template.spec.containers[0].volumeMounts = [{ name: 'config', mountPath: '/config' }];
    await call('POST', JOBS, body);
    await eventually(async () => expect((await status('waits')).active).toBe(1), 10_000);
    const pods = (await call('GET', '/api/v1/namespaces/default/pods?labelSelector=job-name%3Dwaits')).body.items;
    expect(pods[0].status.containerStatuses[0].state.waiting.message).toContain('MountVolume.SetUp failed for volume "config"');
    await call('DELETE', `${JOBS}/waits?propagationPolicy=Background`);
  }, 30_000);
});
