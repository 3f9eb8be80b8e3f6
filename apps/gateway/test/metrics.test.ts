import { requirePrometheus, startTestPrometheus } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS, createFunction, sourceOf, startTestGateway, writeFunction, type TestGateway } from './harness.js';

/** The value of one series in Prometheus' text format (`name{labels}` exactly as written), undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  let gateway: TestGateway;
  const metricsToken = 'scrape-only-token';
  const scrape = async (authorization = `Bearer ${gateway.token}`) =>
    gateway.app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, metrics: { token: metricsToken } });
    await createFunction(gateway, { name: 'hello-js', image: 'nodejs', sourcePath: HELLO_JS });
    const failing = `module.exports = function (context, payload) {
      if (payload && payload.kind === 'input') throw new TypeError('name must be a string');
      throw new Error('the database is down');
    };`;
    await createFunction(gateway, { name: 'fails', image: 'nodejs', sourcePath: await writeFunction(gateway, 'fails.js', failing) });
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers 401 without a token, or with a wrong one', async () => {
    const bare = await gateway.app.inject({ method: 'GET', url: '/metrics' });
    expect(bare.statusCode).toBe(401);
    expect(bare.json()).toMatchObject({ code: 401, message: expect.stringContaining('Bearer') });
    expect((await scrape('Bearer not-the-token')).statusCode).toBe(401);
  });

  it('answers the admin token and the metrics token, in the text format, with process metrics', async () => {
    const admin = await scrape();
    expect(admin.statusCode).toBe(200);
    expect(admin.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(admin.body).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect((await scrape(`Bearer ${metricsToken}`)).statusCode).toBe(200);
  });

  it('counts runs by function and outcome, their durations and the gateway overhead', async () => {
    const before = (await scrape()).body;
    const overheadBefore = sample(before, 'dispatch_gateway_overhead_seconds_count') ?? 0;
    for (let i = 0; i < 3; i++) {
      expect(
        (await gateway.request({ method: 'POST', url: '/v1/runs?functionName=hello-js', payload: { input: { name: 'Ada' } } })).statusCode,
      ).toBe(200);
    }
    await gateway.request({ method: 'POST', url: '/v1/runs?functionName=fails', payload: { input: {} } });
    await gateway.request({ method: 'POST', url: '/v1/runs?functionName=fails', payload: { input: { kind: 'input' } } });
    // Not a run: an unknown function makes no series.
    expect((await gateway.request({ method: 'POST', url: '/v1/runs?functionName=nobody', payload: {} })).statusCode).toBe(404);

    const text = (await scrape()).body;
    expect(sample(text, 'dispatch_runs_total{function="hello-js",outcome="success"}')).toBe(
      (sample(before, 'dispatch_runs_total{function="hello-js",outcome="success"}') ?? 0) + 3,
    );
    expect(sample(text, 'dispatch_runs_total{function="fails",outcome="function_error"}')).toBe(1);
    expect(sample(text, 'dispatch_runs_total{function="fails",outcome="input_error"}')).toBe(1);
    expect(sample(text, 'dispatch_runs_total{function="hello-js",outcome="system_error"}')).toBe(0);
    expect(text).not.toContain('function="nobody"');
    expect(sample(text, 'dispatch_run_duration_seconds_count{function="hello-js"}')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'dispatch_calls_in_flight{function="hello-js"}')).toBe(0);
    expect(sample(text, 'dispatch_gateway_overhead_seconds_count')).toBe(overheadBefore + 5);
    // Overhead is the request's time minus the call's: on loopback, well under a second for each of them.
    expect(sample(text, 'dispatch_gateway_overhead_seconds_bucket{le="1"}')).toBe(overheadBefore + 5);
  });

  it('shows replicas desired and ready per function, deploys, and the async queue depth', async () => {
    const text = (await scrape()).body;
    expect(sample(text, 'dispatch_function_replicas{function="hello-js",state="desired"}')).toBe(1);
    expect(sample(text, 'dispatch_function_replicas{function="hello-js",state="ready"}')).toBe(1);
    expect(sample(text, 'dispatch_build_duration_seconds_count{kind="function",outcome="success"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'dispatch_async_queue_depth{kind="run"}')).toBe(0);
    expect(sample(text, 'dispatch_async_queue_depth{kind="callback"}')).toBe(0);
  });

  it('drops the series of a deleted function', async () => {
    expect((await gateway.request({ method: 'DELETE', url: '/v1/function/fails' })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5100)); // past the replica cache
    const text = (await scrape()).body;
    expect(text).not.toContain('function="fails"');
    expect(text).toContain('function="hello-js"');
  }, 20_000);
});

describe('/metrics with DISPATCH_METRICS_PUBLIC', () => {
  it('answers without a token', async () => {
    const gateway = await startTestGateway({ memoryStore: true, metrics: { public: true } });
    try {
      const response = await gateway.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('# TYPE dispatch_runs_total counter');
    } finally {
      await gateway.close();
    }
  });
});

describe('cold starts', () => {
  it('counts a call that waited for its function to start, with how long it waited', async () => {
    const gateway = await startTestGateway({ memoryStore: true });
    try {
      // The function is still being deployed when the call comes: the call waits for it instead of failing.
      const created = await gateway.request({
        method: 'POST',
        url: '/v1/function',
        payload: { name: 'late', image: 'nodejs', source: await sourceOf(HELLO_JS) },
      });
      expect(created.statusCode).toBe(201);
      const run = await gateway.request({ method: 'POST', url: '/v1/runs?functionName=late', payload: { input: { name: 'Ada' } } });
      expect(run.statusCode).toBe(200);
      const coldStartMs = (run.json() as { coldStartMs?: number }).coldStartMs;
      expect(coldStartMs).toBeGreaterThan(0);

      const text = (await gateway.request({ method: 'GET', url: '/metrics' })).body;
      expect(sample(text, 'dispatch_cold_starts_total{function="late"}')).toBe(1);
      expect(sample(text, 'dispatch_cold_start_duration_seconds_count{function="late"}')).toBe(1);
      expect(sample(text, 'dispatch_cold_start_duration_seconds_sum{function="late"}')).toBeCloseTo((coldStartMs ?? 0) / 1000, 3);
      // The wait is a cold start, not the gateway's overhead.
      expect(sample(text, 'dispatch_gateway_overhead_seconds_count')).toBe(0);
    } finally {
      await gateway.close();
    }
  }, 120_000);
});

describe('scraped by a real Prometheus server', async () => {
  const available = await requirePrometheus();

  it.runIf(available)(
    'counts exactly the runs made',
    async () => {
      const gateway = await startTestGateway({ memoryStore: true });
      let prometheus: Awaited<ReturnType<typeof startTestPrometheus>> | undefined;
      try {
        await createFunction(gateway, { name: 'counted', image: 'nodejs', sourcePath: HELLO_JS });
        const address = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
        const runs = 25;
        for (let i = 0; i < runs; i++) {
          const response = await fetch(`${address}/v1/runs?functionName=counted`, {
            method: 'POST',
            headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ input: { name: `caller ${i}` } }),
          });
          expect(response.status).toBe(200);
        }
        prometheus = await startTestPrometheus({ target: new URL(address).host, bearerToken: gateway.token });
        const query = 'sum(dispatch_runs_total{job="dispatch",function="counted"})';
        let counted: string | undefined;
        const deadline = Date.now() + 60_000;
        while (counted !== String(runs) && Date.now() < deadline) {
          counted = (await prometheus.query(query))[0]?.value[1];
          if (counted !== String(runs)) await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(counted, `Prometheus' target: ${JSON.stringify(await prometheus.target())}`).toBe(String(runs));
        expect((await prometheus.query('up{job="dispatch"}'))[0]?.value[1]).toBe('1');
      } finally {
        await prometheus?.stop();
        await gateway.close();
      }
    },
    180_000,
  );
});
