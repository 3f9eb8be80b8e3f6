import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';

// The admin API's answers to what a web page can make a browser send. The token is sent on every request here,
// so each refusal is the guard's own: a page that somehow knew the token would be refused all the same.
describe('the admin API and web pages', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({
      memoryStore: true,
      listenHost: '127.0.0.1',
      allowedHosts: ['dispatch.example.com'],
      allowedOrigins: ['https://ops.example.com'],
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  const secrets = async () => (await gateway.dispatch.secrets.list()).map((secret) => secret.name);

  it('takes JSON bodies only: a form post is refused (415) and creates nothing', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/secret',
        headers: { 'content-type': type },
        payload: 'name=stolen&secrets=x',
      });
      expect(response.statusCode, type).toBe(415);
      expect(response.json()).toEqual({ code: 415, message: expect.stringContaining('JSON bodies only') });
    }
    expect(await secrets()).not.toContain('stolen');
  });

  it('answers only to its own names and IP addresses in Host (DNS rebinding)', async () => {
    const rebound = await gateway.request({ method: 'GET', url: '/v1/secret', headers: { host: 'attacker.example:8080' } });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json<{ message: string }>().message).toContain('"attacker.example"');
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', '10.1.2.3', 'dispatch.example.com', 'DISPATCH.example.com:443']) {
      const response = await gateway.request({ method: 'GET', url: '/v1/secret', headers: { host } });
      expect(response.statusCode, host).toBe(200);
    }
  });

  it('refuses cross-site requests unless their origin is allowed', async () => {
    const create = (headers: Record<string, string>) =>
      gateway.request({
        method: 'POST',
        url: '/v1/secret',
        headers: { host: 'localhost:8080', ...headers },
        payload: { name: 'x1', secrets: {} },
      });
    const foreign = await create({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(foreign.statusCode).toBe(403);
    expect((await create({ 'sec-fetch-site': 'same-site' })).statusCode).toBe(403);
    expect((await create({ origin: 'null' })).statusCode).toBe(403);
    expect(await secrets()).not.toContain('x1');

    expect((await create({ origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' })).statusCode).toBe(201);
    const allowed = await gateway.request({
      method: 'GET',
      url: '/v1/secret',
      headers: { origin: 'https://ops.example.com', 'sec-fetch-site': 'cross-site' },
    });
    expect(allowed.statusCode).toBe(200);
  });

  it('leaves endpoint ingress to the endpoints: forms and other sites still reach them', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/no-such-endpoint',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', host: 'attacker.example' },
      payload: 'a=b',
    });
    expect(response.statusCode).toBe(404);
    expect(response.json<{ message: string }>().message).toContain('no endpoint matches');
  });
});
