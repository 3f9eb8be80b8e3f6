import type { Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunction, startTestGateway, writeFunction } from './harness.js';
import type { TestGateway } from './harness.js';

/** Fails (FunctionError) the first `failTimes` calls made with the same `key`, then answers how many calls it took. */
const FLAKY = `
const calls = {};
module.exports = function (context, payload) {
  calls[payload.key] = (calls[payload.key] || 0) + 1;
  if (calls[payload.key] <= payload.failTimes) throw new Error('flaky call ' + calls[payload.key]);
  return { calls: calls[payload.key] };
};`;

/** Takes `ms` and answers when it started and ended, so a test can see how many ran at once. */
const SLOW = `
module.exports = async function (context, payload) {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, payload.ms));
  return { start, end: Date.now() };
};`;

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({
    memoryStore: true,
    queue: { backoffMs: 50, maxBackoffMs: 200, pollMs: 50, perFunctionConcurrency: 2, maxQueued: 12 },
  });
  await createFunction(gateway, { name: 'flaky', image: 'nodejs', sourcePath: await writeFunction(gateway, 'flaky.js', FLAKY) });
  await createFunction(gateway, { name: 'slow', image: 'nodejs', sourcePath: await writeFunction(gateway, 'slow.js', SLOW) });
}, 180_000);

afterAll(async () => {
  await gateway?.close();
});

const submit = (functionName: string, body: object, headers: Record<string, string> = {}) =>
  gateway.request({ method: 'POST', url: `/v1/runs?functionName=${functionName}`, payload: { blocking: false, ...body }, headers });

async function finished(id: string): Promise<Run> {
  for (let i = 0; i < 400; i++) {
    const run = (await gateway.request({ method: 'GET', url: `/v1/runs/${id}` })).json<Run>();
    if (run.status === 'READY' || run.status === 'ERROR') return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`run ${id} did not finish`);
}

describe('async runs on the durable queue', () => {
  it('stores the run before answering 202, then runs it once', async () => {
    const response = await submit('flaky', { input: { key: 'once', failTimes: 0 } });
    expect(response.statusCode).toBe(202);
    const accepted = response.json<Run>();
    expect(accepted).toMatchObject({ status: 'INITIALIZED', blocking: false });
    expect(await gateway.dispatch.store.runs.get(accepted.id)).toBeDefined();
    expect(await finished(accepted.id)).toMatchObject({ status: 'READY', output: { calls: 1 }, attempts: 1 });
  });

  it('refuses an unknown function at submission with 404, and a bad callback URL with 400', async () => {
    const unknown = await submit('nope', { input: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      code: 404,
      kind: 'EntityNotFound',
      entity: { kind: 'function', name: 'nope' },
      message: 'function "nope" not found',
    });
    const badUrl = await submit('flaky', { input: {}, callbackURL: 'ftp://example' });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json<{ message: string }>().message).toContain('http:// or https://');
  });

  it('retries a FunctionError when the run asks for attempts, showing them on the run', async () => {
    const { id } = (await submit('flaky', { input: { key: 'twice', failTimes: 2 }, maxAttempts: 3 })).json<Run>();
    expect(await finished(id)).toMatchObject({ status: 'READY', output: { calls: 3 }, attempts: 3 });
  });

  it('dead-letters a run after its last attempt, lists it as failed, and re-queues it', async () => {
    const { id } = (await submit('flaky', { input: { key: 'dead', failTimes: 3 }, maxAttempts: 2 })).json<Run>();
    const dead = await finished(id);
    expect(dead).toMatchObject({ status: 'ERROR', deadLettered: true, attempts: 2, error: { type: 'FunctionError' } });
    expect(dead.reason).toMatch(/^dead-lettered after 2 attempts: FunctionError: (Error: )?flaky call 2$/);

    const failed = (await gateway.request({ method: 'GET', url: '/v1/runs?failed=true' })).json<Run[]>();
    expect(failed.map((run) => run.id)).toContain(id);
    const ok = (await gateway.request({ method: 'GET', url: '/v1/runs?functionName=flaky&failed=true' })).json<Run[]>();
    expect(ok.every((run) => run.deadLettered)).toBe(true);

    const requeued = await gateway.request({ method: 'POST', url: `/v1/runs/${id}/requeue` });
    expect(requeued.statusCode).toBe(202);
    // Two more attempts: the third call still fails, the fourth succeeds.
    expect(await finished(id)).toMatchObject({ status: 'READY', output: { calls: 4 }, attempts: 2, deadLettered: false });
    const again = await gateway.request({ method: 'POST', url: `/v1/runs/${id}/requeue` });
    expect(again.statusCode).toBe(400);
    expect(again.json<{ message: string }>().message).toContain('is not a dead letter');
  });

  it('returns the same run for the same Idempotency-Key', async () => {
    const first = (await submit('flaky', { input: { key: 'idem', failTimes: 0 } }, { 'idempotency-key': 'order-42' })).json<Run>();
    const second = (await submit('flaky', { input: { key: 'idem', failTimes: 0 } }, { 'idempotency-key': 'order-42' })).json<Run>();
    expect(second.id).toBe(first.id);
    expect(await finished(first.id)).toMatchObject({ output: { calls: 1 }, dedupeKey: 'order-42' });
    const third = (await submit('flaky', { input: { key: 'idem', failTimes: 0 } }, { 'idempotency-key': 'order-42' })).json<Run>();
    expect(third).toMatchObject({ id: first.id, status: 'READY' });
  });

  it('runs at most perFunctionConcurrency runs of a function at once, and refuses submissions beyond the queue bound with 429', async () => {
    const accepted: string[] = [];
    let refused = 0;
    for (let i = 0; i < 16; i++) {
      const response = await submit('slow', { input: { ms: 150 } });
      if (response.statusCode === 202) accepted.push(response.json<Run>().id);
      else {
        expect(response.statusCode).toBe(429);
        expect(response.json<{ message: string }>().message).toContain('queue is full');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    const runs = await Promise.all(accepted.map(finished));
    const spans = runs.map((run) => run.output as { start: number; end: number });
    // The most runs in progress at one moment: at each start, count the runs that had started and not yet ended.
    const most = Math.max(...spans.map((span) => spans.filter((other) => other.start <= span.start && other.end > span.start).length));
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBe(2);
  });
});
