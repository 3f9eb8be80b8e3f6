import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { startTestGateway, type TestGateway } from './harness.js';

describe('admin API authentication', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, token: 'the-token' });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers 401 with {code, message} without a token', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/v1/function' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(response.json()).toEqual({ code: 401, message: expect.stringContaining('Authorization') });
  });

  it('answers 401 to a wrong token', async () => {
    for (const authorization of ['Bearer the-token-not', 'Bearer ', 'Basic dGhlLXRva2Vu', 'the-token']) {
      const response = await gateway.app.inject({ method: 'GET', url: '/v1/version', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
    }
  });

  it('lets the right token in', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/v1/version',
      headers: { authorization: 'Bearer the-token' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('protects writes and runs too', async () => {
    const create = await gateway.app.inject({ method: 'POST', url: '/v1/secret', payload: { name: 'x', secrets: {} } });
    expect(create.statusCode).toBe(401);
    const run = await gateway.app.inject({ method: 'POST', url: '/v1/runs?functionName=x', payload: {} });
    expect(run.statusCode).toBe(401);
  });

  it('leaves /healthz open', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
  });

  it('refuses to build an admin API without a token, on loopback too', async () => {
    for (const token of [undefined, '', '  ']) {
      await expect(buildApp({ dispatch: gateway.dispatch, listenHost: '127.0.0.1', token: token as unknown as string })).rejects.toThrow(
        /needs a token/,
      );
    }
  });
});
