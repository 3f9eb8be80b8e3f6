import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSignature } from '../src/ingress/hmac-signature.js';
import { createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';

describe('endpoints with hmac auth', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true });
    await createFunction(gateway, {
      name: 'echo',
      image: 'nodejs',
      sourcePath: await writeFunction(gateway, 'echo.js', 'module.exports = (context, payload) => payload;'),
    });
    await gateway.dispatch.secrets.create({ name: 'signing', secrets: { current: 'old-key' } });
    const endpoint = await gateway.request({
      method: 'POST',
      url: '/v1/endpoint',
      payload: { name: 'signed', function: 'echo', methods: ['POST'], uris: ['/signed'], auth: 'hmac', authSecret: 'signing' },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  const body = '{"order": 42}';
  const now = () => String(Math.floor(Date.now() / 1000));
  const send = (headers: Record<string, string>, payload = body) =>
    gateway.app.inject({ method: 'POST', url: '/signed', payload, headers: { 'content-type': 'application/json', ...headers } });
  const signed = (key: string, timestamp = now(), payload = body) =>
    send({ 'x-dispatch-timestamp': timestamp, 'x-dispatch-signature': hmacSignature(key, timestamp, payload) }, payload);

  it('runs the function for a request signed with the secret (200)', async () => {
    const response = await signed('old-key');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ order: 42 });
  });

  it('refuses a missing, wrong or tampered signature (401)', async () => {
    const missing = await send({});
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ code: 401, message: expect.stringContaining('x-dispatch-signature') });
    expect((await signed('not-the-key')).statusCode).toBe(401);
    const timestamp = now();
    const tampered = await send(
      { 'x-dispatch-timestamp': timestamp, 'x-dispatch-signature': hmacSignature('old-key', timestamp, body) },
      '{"order": 43}',
    );
    expect(tampered.statusCode).toBe(401);
  });

  it('refuses a replayed request once its timestamp is outside the window (401)', async () => {
    const tenMinutesAgo = String(Math.floor(Date.now() / 1000) - 600);
    const replayed = await signed('old-key', tenMinutesAgo);
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json<{ message: string }>().message).toContain('not within 300 seconds');
  });

  it('accepts old and new keys while both are values of the secret, then only the new one', async () => {
    await gateway.dispatch.secrets.update('signing', { secrets: { current: 'old-key', next: 'new-key' } });
    expect((await signed('old-key')).statusCode).toBe(200);
    expect((await signed('new-key')).statusCode).toBe(200);
    await gateway.dispatch.secrets.update('signing', { secrets: { next: 'new-key' } });
    expect((await signed('old-key')).statusCode).toBe(401);
    expect((await signed('new-key')).statusCode).toBe(200);
  });
});
