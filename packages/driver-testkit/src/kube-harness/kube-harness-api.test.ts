/* eslint-disable @typescript-eslint/no-explicit-any -- the tests read JSON bodies of the API under test */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeHarness } from './kube-harness.js';
import type { KubeHarness } from './kube-harness.js';

const SERVICES = '/apis/serving.knative.dev/v1/namespaces/default/services';

function service(name: string, container: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, labels: { app: name } },
    spec: { template: { spec: { containers: [{ image: 'dispatch/none:1', ...container }] } } },
    ...extra,
  };
}

describe('Kubernetes API harness: the API (no containers)', () => {
  let harness: KubeHarness;
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const response = await fetch(`${harness.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${harness.token}`, 'content-type': contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    harness = await startKubeHarness({ reconcile: false });
  });
  afterAll(async () => harness.close());

  it('answers discovery and refuses requests without the token', async () => {
    expect((await call('GET', '/version')).body.gitVersion).toMatch(/kube-harness/);
    expect((await call('GET', '/apis')).body.groups[0].name).toBe('serving.knative.dev');
    expect((await fetch(`${harness.url}${SERVICES}`)).status).toBe(401);
  });

  it('fills in uid, generation, resourceVersion and creationTimestamp, and Knative defaults', async () => {
    const created = await call('POST', SERVICES, service('meta'));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ namespace: 'default', generation: 1 });
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.metadata.creationTimestamp).toMatch(/Z$/);
    expect(created.body.spec.template.spec.containers[0].name).toBe('user-container');
    expect(created.body.spec.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
    expect((await call('POST', SERVICES, service('meta'))).body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
  });

  it('serves pods (read-only) and their logs, and answers 404 for a pod it does not run', async () => {
    const pods = await call('GET', '/api/v1/namespaces/default/pods?labelSelector=serving.knative.dev%2Fservice%3Dnone');
    expect(pods.body).toMatchObject({ kind: 'PodList', items: [] });
    const missing = await call('GET', '/api/v1/namespaces/default/pods/nope/log?follow=true');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found' });
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/nope')).status).toBe(405);
    expect((await call('GET', '/api/v1')).body.resources.map((resource: { name: string }) => resource.name)).toEqual([
      'pods',
      'pods/log',
      'configmaps',
      'secrets',
    ]);
  });

  it('answers 404 with a Status body for a missing object', async () => {
    const missing = await call('GET', `${SERVICES}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      message: 'services.serving.knative.dev "nope" not found',
    });
  });

  it('rejects what breaks the CRD schema with 422 Invalid', async () => {
    const bad = await call('POST', SERVICES, service('bad-schema', { image: 42 }, {}));
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.details.causes[0].field).toBe('spec.template.spec.containers[0].image');
    const timeout = await call('POST', SERVICES, {
      ...service('bad-timeout'),
      spec: { template: { spec: { timeoutSeconds: 'x', containers: [{ image: 'a' }] } } },
    });
    expect(timeout.status).toBe(422);
  });

  it("applies Knative's webhook rules: reserved env names and ports, one port, autoscaling annotations on the template", async () => {
    const denied = async (body: unknown) => {
      const answer = await call('POST', SERVICES, body);
      expect(answer.status).toBe(400);
      return String(answer.body.message);
    };
    expect(await denied(service('env-port', { env: [{ name: 'PORT', value: '1' }] }))).toMatch(/"PORT" is a reserved environment variable/);
    expect(await denied(service('env-k', { env: [{ name: 'K_SERVICE', value: '1' }] }))).toMatch(/"K_SERVICE" is a reserved/);
    expect(await denied(service('port-reserved', { ports: [{ containerPort: 8012 }] }))).toMatch(/port 8012 is reserved/);
    expect(await denied(service('two-ports', { ports: [{ containerPort: 8080 }, { containerPort: 8081 }] }))).toMatch(
      /more than one container port/,
    );
    const annotated = service('scale-outside');
    (annotated.metadata as Record<string, unknown>).annotations = { 'autoscaling.knative.dev/min-scale': '1' };
    expect(await denied(annotated)).toMatch(/spec\.template\.metadata\.annotations/);
    const onTemplate = service('scale-inside');
    (onTemplate.spec as any).template.metadata = { annotations: { 'autoscaling.knative.dev/min-scale': '2' } };
    expect((await call('POST', SERVICES, onTemplate)).status).toBe(201);
  });

  it('answers 409 to an update with a stale resourceVersion, and bumps generation only on spec changes', async () => {
    const created = (await call('POST', SERVICES, service('versions'))).body;
    const labelled = { ...created, metadata: { ...created.metadata, labels: { app: 'other' } } };
    const first = await call('PUT', `${SERVICES}/versions`, labelled);
    expect(first.status).toBe(200);
    expect(first.body.metadata.generation).toBe(1);
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const stale = await call('PUT', `${SERVICES}/versions`, created);
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    const patched = await call(
      'PATCH',
      `${SERVICES}/versions`,
      { spec: { template: { spec: { containerConcurrency: 3 } } } },
      'application/merge-patch+json',
    );
    expect(patched.body.metadata.generation).toBe(2);
    const json = await call(
      'PATCH',
      `${SERVICES}/versions`,
      [{ op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 4 }],
      'application/json-patch+json',
    );
    expect(json.body.metadata.generation).toBe(3);
    expect((await call('PATCH', `${SERVICES}/versions`, {}, 'application/strategic-merge-patch+json')).status).toBe(415);
  });

  it('lists by label selector', async () => {
    await call('POST', SERVICES, service('sel-a'));
    await call('POST', SERVICES, service('sel-b'));
    const names = (await call('GET', `${SERVICES}?labelSelector=${encodeURIComponent('app in (sel-a,x)')}`)).body.items.map(
      (item: any) => item.metadata.name,
    );
    expect(names).toEqual(['sel-a']);
    const none = await call('GET', `${SERVICES}?labelSelector=${encodeURIComponent('app=sel-a,!app')}`);
    expect(none.body.items).toEqual([]);
  });

  it('streams watch events from a resourceVersion, ends after timeoutSeconds, and answers 410 once compacted', async () => {
    const list = (await call('GET', SERVICES)).body;
    const from = list.metadata.resourceVersion as string;
    await call('POST', SERVICES, service('watched'));
    await call('DELETE', `${SERVICES}/watched`);
    const response = await fetch(
      `${harness.url}${SERVICES}?watch=true&resourceVersion=${from}&timeoutSeconds=1&labelSelector=app%3Dwatched`,
      {
        headers: { authorization: `Bearer ${harness.token}` },
      },
    );
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: any });
    expect(lines.map((event) => event.type)).toEqual(['ADDED', 'DELETED']);
    harness.compact();
    const gone = await fetch(`${harness.url}${SERVICES}?watch=true&resourceVersion=${from}&timeoutSeconds=1`, {
      headers: { authorization: `Bearer ${harness.token}` },
    });
    const event = JSON.parse((await gone.text()).trim()) as { type: string; object: { code: number; reason: string } };
    expect(event).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });
});
