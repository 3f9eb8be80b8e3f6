import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS, createFunction, sourceOf, startTestGateway, type TestGateway } from './harness.js';

// The gateway's side of autoscaling: the settings as the API takes and checks them, and a function at zero
// replicas called through the API, its cold start in the run and in /metrics.
describe('autoscaling through the admin API', () => {
  let gateway: TestGateway;
  const previousIdle = process.env.DISPATCH_SCALE_IDLE_MS;

  beforeAll(async () => {
    process.env.DISPATCH_SCALE_IDLE_MS = '300';
    gateway = await startTestGateway({ memoryStore: true });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    if (previousIdle === undefined) delete process.env.DISPATCH_SCALE_IDLE_MS;
    else process.env.DISPATCH_SCALE_IDLE_MS = previousIdle;
  });

  it('answers 400 with code and message for settings out of bounds, and keeps none of them', async () => {
    const source = await sourceOf(HELLO_JS);
    const cases = [
      { body: { minReplicas: 5, maxReplicas: 2 }, message: 'minReplicas (5) must not exceed maxReplicas (2)' },
      { body: { maxReplicas: 1000 }, message: 'maxReplicas must be a whole number from 1 to 100' },
      { body: { maxReplicas: 'many' }, message: 'maxReplicas' },
      { body: { targetConcurrency: 4 }, message: 'targetConcurrency needs minReplicas or maxReplicas' },
    ];
    for (const { body, message } of cases) {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/function',
        payload: { name: 'bad-scale', image: 'nodejs', source, ...body },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 400, message: expect.stringContaining(message) });
    }
    expect((await gateway.request({ method: 'GET', url: '/v1/function/bad-scale' })).statusCode).toBe(404);
  });

  it('serves a call to a function scaled to zero, showing its cold start on the run and in /metrics', async () => {
    await createFunction(gateway, {
      name: 'sleepy',
      image: 'nodejs',
      sourcePath: HELLO_JS,
      minReplicas: 0,
      maxReplicas: 2,
      targetConcurrency: 4,
    });
    const fn = (await gateway.request({ method: 'GET', url: '/v1/function/sleepy' })).json();
    expect(fn).toMatchObject({ minReplicas: 0, maxReplicas: 2, targetConcurrency: 4 });
    const until = Date.now() + 20_000;
    while ((await gateway.dispatch.driver.status('sleepy')).replicas.desired !== 0) {
      if (Date.now() > until) throw new Error('the function was not scaled to zero');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const response = await gateway.request({ method: 'POST', url: '/v1/runs?functionName=sleepy', payload: { input: { name: 'Ada' } } });
    expect(response.statusCode).toBe(200);
    const run = response.json() as { output: unknown; coldStartMs?: number };
    expect(run.output).toEqual({ myField: 'Hello, Ada from Nowhere' });
    expect(run.coldStartMs).toBeGreaterThan(0);
    const metrics = (await gateway.request({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('dispatch_cold_starts_total{function="sleepy"} 1');
  }, 60_000);
});
