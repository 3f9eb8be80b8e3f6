import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, createFunction, startTestGateway, type TestGateway } from './harness.js';

const PUSH = {
  ref: 'refs/heads/main',
  repository: { full_name: 'octo/hello' },
  commits: [
    { id: '6dcb09b5b57875f334f61aebed695e2e4193db5e', message: 'Fix the greeting', author: { name: 'Mona' } },
    { id: '7e51ab1c1ef1ec7b6a0b93b4ca3ee0c2c1f9d3d8', message: 'Add a test', author: { name: 'Hubot' } },
  ],
};

/** GitHub's signature of a body with a webhook secret, computed here independently of the gateway's library. */
const signatureOf = (body: string, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('the github trigger on the local backend', () => {
  let gateway: TestGateway;

  function deliver(event: string, body: string, headers: Record<string, string | undefined>) {
    const defined = Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>;
    return gateway.app.inject({
      method: 'POST',
      url: '/github/push-logger',
      payload: body,
      headers: { 'content-type': 'application/json', 'x-github-event': event, ...defined },
    });
  }

  function signedDelivery(event: string, payload: unknown, secret = 'first-secret', delivery = randomUUID()) {
    const body = JSON.stringify(payload);
    return deliver(event, body, { 'x-github-delivery': delivery, 'x-hub-signature-256': signatureOf(body, secret) });
  }

  const runCount = async () => (await gateway.dispatch.runs.list({ functionName: 'push-logger', limit: 1000 })).length;

  async function finished(id: string): Promise<Run> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      const run = await gateway.dispatch.runs.get(id);
      if (run.status === 'READY' || run.status === 'ERROR') return run;
    }
    throw new Error(`run ${id} did not finish`);
  }

  async function setSecret(secrets: Record<string, string>) {
    const response = await gateway.request({ method: 'PUT', url: '/v1/secret/github-webhook', payload: { secrets } });
    expect(response.statusCode, response.body).toBe(200);
  }

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, token: 'admin-token' });
    await createFunction(gateway, {
      name: 'push-logger',
      image: 'nodejs',
      sourcePath: join(EXAMPLES, 'github-push-logger/push-logger.js'),
    });
    for (const [url, payload] of [
      ['/v1/secret', { name: 'github-webhook', secrets: { current: 'first-secret' } }],
      [
        '/v1/endpoint',
        {
          name: 'github-push-logger',
          function: 'push-logger',
          trigger: 'github',
          methods: ['POST'],
          uris: ['/github/push-logger'],
          authSecret: 'github-webhook',
          triggerSettings: { events: ['push'] },
        },
      ],
    ] as const) {
      const response = await gateway.request({ method: 'POST', url, payload });
      expect(response.statusCode, response.body).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('runs a signed push once, answering 202 with the run at once; the run holds the commit list', async () => {
    const delivery = randomUUID();
    const started = Date.now();
    const response = await signedDelivery('push', PUSH, 'first-secret', delivery);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(response.statusCode, response.body).toBe(202);
    const { runId } = response.json() as { runId: string };
    const run = await finished(runId);
    expect(run).toMatchObject({ status: 'READY', functionName: 'push-logger', dedupeKey: delivery });
    expect((run.output as { commits: unknown[] }).commits).toEqual([
      { id: PUSH.commits[0]?.id, message: 'Fix the greeting', author: 'Mona' },
      { id: PUSH.commits[1]?.id, message: 'Add a test', author: 'Hubot' },
    ]);
    expect(run.logs.stdout).toContain('octo/hello refs/heads/main: 6dcb09b Fix the greeting');

    // GitHub redelivers the same delivery: the same run answers, nothing runs again.
    const before = await runCount();
    const again = await signedDelivery('push', PUSH, 'first-secret', delivery);
    expect(again.statusCode).toBe(202);
    expect((again.json() as { runId: string }).runId).toBe(runId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await runCount()).toBe(before);
  });

  it('runs nothing for a wrong signature (401), a missing one (400) or a filtered event (202 with a note)', async () => {
    const before = await runCount();
    const body = JSON.stringify(PUSH);
    const wrong = await deliver('push', body, {
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signatureOf(body, 'not-the-secret'),
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 401, message: expect.stringMatching(/X-Hub-Signature-256 signature does not match/) });
    const tampered = await deliver('push', body.replace('Fix', 'Break'), {
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signatureOf(body, 'first-secret'),
    });
    expect(tampered.statusCode).toBe(401);
    const unsigned = await deliver('push', body, { 'x-github-delivery': randomUUID() });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.json()).toMatchObject({ code: 400, message: expect.stringMatching(/x-hub-signature-256 header is missing/) });
    const noDelivery = await deliver('push', body, { 'x-hub-signature-256': signatureOf(body, 'first-secret') });
    expect(noDelivery.json()).toMatchObject({ code: 400, message: expect.stringMatching(/x-github-delivery header is missing/) });
    const filtered = await signedDelivery('issues', { action: 'opened' });
    expect(filtered.statusCode).toBe(202);
    expect(filtered.json()).toMatchObject({
      message: expect.stringMatching(/event "issues" is not one endpoint github-push-logger runs \(push\): nothing was run/),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await runCount()).toBe(before);
  });

  it("takes a form-encoded delivery (GitHub's other content type), signed over the form's bytes", async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify(PUSH))}`;
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/github/push-logger',
      payload: body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signatureOf(body, 'first-secret'),
      },
    });
    expect(response.statusCode, response.body).toBe(202);
    const run = await finished((response.json() as { runId: string }).runId);
    expect((run.output as { commits: unknown[] }).commits).toHaveLength(2);
  });

  it('answers ping with 200 without running anything', async () => {
    const before = await runCount();
    const response = await signedDelivery('ping', { zen: 'Keep it logically awesome.', hook_id: 1 });
    expect(response.statusCode).toBe(200);
    expect(await runCount()).toBe(before);
  });

  it('accepts the old and the new secret while both are set, and only the new one once the old is removed', async () => {
    await setSecret({ current: 'second-secret', previous: 'first-secret' });
    expect((await signedDelivery('push', PUSH, 'first-secret')).statusCode).toBe(202);
    expect((await signedDelivery('push', PUSH, 'second-secret')).statusCode).toBe(202);
    await setSecret({ current: 'second-secret' });
    expect((await signedDelivery('push', PUSH, 'first-secret')).statusCode).toBe(401);
    expect((await signedDelivery('push', PUSH, 'second-secret')).statusCode).toBe(202);
  });
});
