import type { Run } from '@dispatch/core';
import { describe, expect, it } from 'vitest';
import { HELLO_PY, createFunction, startTestGateway } from './harness.js';

describe('a gateway restart', () => {
  it('keeps functions, secrets, endpoints and runs, and runs the function again', async () => {
    const first = await startTestGateway({ token: 'persist' });
    const { dataDir } = first;
    try {
      await createFunction(first, { name: 'hello', image: 'python3', sourcePath: HELLO_PY });
      const secret = await first.request({
        method: 'POST',
        url: '/v1/secret',
        payload: { name: 'where', secrets: { place: 'Palo Alto' } },
      });
      expect(secret.statusCode).toBe(201);
      const endpoint = await first.request({
        method: 'POST',
        url: '/v1/endpoint',
        payload: { name: 'hello', function: 'hello', methods: ['GET'], uris: ['/hello'] },
      });
      expect(endpoint.statusCode).toBe(201);
      const run = await first.request({
        method: 'POST',
        url: '/v1/runs?functionName=hello',
        payload: { input: { name: 'before' }, secrets: ['where'] },
      });
      expect(run.json<Run>().output).toEqual({ myField: 'Hello, before from Palo Alto' });
    } finally {
      await first.close({ keepData: true });
    }

    const second = await startTestGateway({ token: 'persist', dataDir });
    try {
      const fn = await second.request({ method: 'GET', url: '/v1/function/hello' });
      expect(fn.statusCode).toBe(200);
      const secret = await second.request({ method: 'GET', url: '/v1/secret/where?reveal=true' });
      expect(secret.json()).toMatchObject({ secrets: { place: 'Palo Alto' } });
      const history = await second.request({ method: 'GET', url: '/v1/runs?functionName=hello' });
      expect(history.json<Run[]>().map((r) => r.input)).toContainEqual({ name: 'before' });

      await second.dispatch.functions.waitUntilReady('hello', { timeoutMs: 120_000 });
      const run = await second.request({
        method: 'POST',
        url: '/v1/runs?functionName=hello',
        payload: { input: { name: 'after' }, secrets: ['where'] },
      });
      expect(run.statusCode).toBe(200);
      expect(run.json<Run>().output).toEqual({ myField: 'Hello, after from Palo Alto' });

      const ingress = await second.app.inject({ method: 'GET', url: '/hello?name=Jon' });
      expect(ingress.json()).toEqual({ myField: 'Hello, Jon from Nowhere' });
    } finally {
      await second.close();
    }
  }, 300_000);
});
