import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALLBACK_SECRET_NAME, verifyCallbackSignature } from '@dispatch/core';
import type { Run } from '@dispatch/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFunction, HELLO_JS, startTestGateway } from './harness.js';
import type { TestGateway } from './harness.js';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A callback receiver on loopback that answers each delivery with the next status of `answers` (then 200). */
async function receiver(answers: number[] = []): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body });
      response.statusCode = answers.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/done`, deliveries, server };
}

let gateway: TestGateway;
const servers: Server[] = [];

beforeAll(async () => {
  gateway = await startTestGateway({
    memoryStore: true,
    queue: { callbackBackoffMs: 100, maxBackoffMs: 400, pollMs: 50, callbackAttempts: 30 },
  });
  await createFunction(gateway, { name: 'hello', image: 'nodejs', sourcePath: HELLO_JS });
}, 180_000);

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

afterAll(async () => {
  await gateway?.close();
});

async function callbackSettled(id: string): Promise<Run> {
  for (let i = 0; i < 600; i++) {
    const run = await gateway.dispatch.runs.get(id);
    if (run.callback?.status === 'DELIVERED' || run.callback?.status === 'FAILED') return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the callback of run ${id} was never settled`);
}

async function signingKey(): Promise<string> {
  const secret = await gateway.dispatch.store.entities('secret').get(CALLBACK_SECRET_NAME);
  return secret?.secrets.signingKey ?? '';
}

describe('run callbacks', () => {
  it('delivers the finished run, signed, to a receiver that refused the first two deliveries', async () => {
    const target = await receiver([503, 500]);
    servers.push(target.server);
    const response = await gateway.request({
      method: 'POST',
      url: '/v1/runs?functionName=hello',
      payload: { blocking: false, input: { name: 'callback' } },
      headers: { 'x-callback-url': target.url },
    });
    expect(response.statusCode).toBe(202);
    const run = await callbackSettled(response.json<Run>().id);
    expect(run.callback).toMatchObject({ status: 'DELIVERED', attempts: 3 });
    expect(target.deliveries).toHaveLength(3);

    const last = target.deliveries[2] as Delivery;
    expect(JSON.parse(last.body)).toMatchObject({ id: run.id, status: 'READY', output: { myField: 'Hello, callback from Nowhere' } });
    expect(last.headers['x-dispatch-run-id']).toBe(run.id);
    expect(last.headers['x-dispatch-delivery-attempt']).toBe('3');
    const key = await signingKey();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyCallbackSignature(key, last.headers['x-dispatch-signature'] as string, last.body)).toBe(true);
    expect(verifyCallbackSignature(key, last.headers['x-dispatch-signature'] as string, last.body.replace('callback', 'forged'))).toBe(
      false,
    );
    expect(verifyCallbackSignature('another key', last.headers['x-dispatch-signature'] as string, last.body)).toBe(false);
  });

  it('keeps retrying while the receiver is down and delivers when it is back', async () => {
    const target = await receiver();
    const { url } = target;
    target.server.close();
    const port = Number(new URL(url).port);
    const response = await gateway.request({
      method: 'POST',
      url: '/v1/runs?functionName=hello',
      payload: { blocking: false, input: { name: 'later' }, callbackURL: url },
    });
    const id = response.json<Run>().id;
    // Down for a while: deliveries fail (connection refused) and are retried with back-off.
    await expect
      .poll(async () => (await gateway.dispatch.runs.get(id)).callback?.attempts ?? 0, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    expect((await gateway.dispatch.runs.get(id)).callback).toMatchObject({ status: 'PENDING', lastError: 'ECONNREFUSED' });

    const back = await receiver();
    servers.push(back.server);
    back.server.close();
    await new Promise<void>((resolve) => back.server.listen(port, '127.0.0.1', resolve));
    const run = await callbackSettled(id);
    expect(run.callback?.status).toBe('DELIVERED');
    expect(back.deliveries).toHaveLength(1);
    expect(JSON.parse((back.deliveries[0] as Delivery).body)).toMatchObject({ id, status: 'READY' });
  });

  it('gives up after the last attempt and says so on the run', async () => {
    const target = await receiver(Array.from({ length: 40 }, () => 410));
    servers.push(target.server);
    const few = await startTestGateway({
      memoryStore: true,
      queue: { callbackBackoffMs: 20, maxBackoffMs: 40, pollMs: 20, callbackAttempts: 2 },
    });
    try {
      await createFunction(few, { name: 'hello', image: 'nodejs', sourcePath: HELLO_JS });
      const run = await few.dispatch.runs.execute('hello', {}, { blocking: false, callbackURL: target.url });
      await expect.poll(async () => (await few.dispatch.runs.get(run.id)).callback?.status, { timeout: 10_000 }).toBe('FAILED');
      expect((await few.dispatch.runs.get(run.id)).callback).toMatchObject({
        attempts: 2,
        lastError: 'given up after 2 deliveries: the receiver answered 410',
      });
    } finally {
      await few.close();
    }
  }, 120_000);
});
