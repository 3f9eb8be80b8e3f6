import type { Run } from '@dispatch/core';
import { openPostgresStore } from '@dispatch/core';
import { isolatedPostgresUrl, postgresTestUrl } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFunction, HELLO_JS, startTestGateway, type TestGateway } from './harness.js';

// GET /v1/runs?schedule= is answered by the store's own query: the same behaviour on both stores.
const postgresUrl = postgresTestUrl();
const stores = [
  { name: 'SQLite', skip: false, open: async () => ({ store: undefined, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: postgresUrl === undefined,
    async open() {
      const { url, drop } = await isolatedPostgresUrl(postgresUrl as string);
      return { store: await openPostgresStore(url, { maxConnections: 4 }), drop };
    },
  },
];

describe.each(stores)('GET /v1/runs?schedule= on the $name store', ({ skip, open }) => {
  let gateway: TestGateway;
  let drop = async () => {};
  const list = async (query: string) => {
    const response = await gateway.request({ method: 'GET', url: `/v1/runs?${query}` });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Run[]>();
  };

  beforeAll(async () => {
    if (skip) return;
    const opened = await open();
    drop = opened.drop;
    gateway = await startTestGateway({ store: opened.store });
    await createFunction(gateway, { name: 'hello', image: 'nodejs', sourcePath: HELLO_JS });
    const byHand = await gateway.request({ method: 'POST', url: '/v1/runs?functionName=hello', payload: { input: { name: 'hand' } } });
    expect(byHand.statusCode).toBe(200);
    for (const name of ['every-a', 'every-b']) {
      const created = await gateway.request({
        method: 'POST',
        url: '/v1/schedule',
        payload: { name, function: 'hello', cron: '* * * * * *', input: { name } },
      });
      expect(created.statusCode, created.body).toBe(201);
    }
    // Two ticks of each, then no more, so the lists below stand still.
    for (const name of ['every-a', 'every-b']) {
      await vi.waitFor(async () => expect((await list(`schedule=${name}`)).length).toBeGreaterThanOrEqual(2), {
        timeout: 20_000,
        interval: 250,
      });
    }
    for (const name of ['every-a', 'every-b']) {
      await gateway.request({ method: 'PUT', url: `/v1/schedule/${name}`, payload: { enabled: false } });
    }
  }, 240_000);

  afterAll(async () => {
    await gateway?.close();
    await drop();
  });

  it.skipIf(skip)('lists only the runs the schedule started, newest first, each with the tick it ran for', async () => {
    const runs = await list('schedule=every-a');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((run) => run.schedule))).toEqual(new Set(['every-a']));
    expect(runs.every((run) => typeof run.scheduledTime === 'number')).toBe(true);
    const ticks = runs.map((run) => run.scheduledTime as number);
    expect(ticks).toEqual([...ticks].sort((a, b) => b - a));
    // The other schedule's runs and the run by hand are all there without the filter.
    const all = await list('functionName=hello&limit=1000');
    expect(all.some((run) => run.schedule === 'every-b')).toBe(true);
    expect(all.some((run) => run.schedule === undefined)).toBe(true);
  });

  it.skipIf(skip)('combines with functionName and limit', async () => {
    expect(await list('schedule=every-a&functionName=other')).toEqual([]);
    const one = await list('schedule=every-b&functionName=hello&limit=1');
    expect(one).toHaveLength(1);
    expect(one[0]?.schedule).toBe('every-b');
  });

  it.skipIf(skip)('keeps listing the runs of a deleted schedule, and answers [] for a schedule that never ran', async () => {
    const before = (await list('schedule=every-b')).map((run) => run.id);
    expect((await gateway.request({ method: 'DELETE', url: '/v1/schedule/every-b' })).statusCode).toBe(200);
    expect((await list('schedule=every-b')).map((run) => run.id)).toEqual(before);
    expect(await list('schedule=never-ran')).toEqual([]);
  });

  it.skipIf(skip)('answers 400 with {code, message} to a schedule name longer than a name can be', async () => {
    const response = await gateway.request({ method: 'GET', url: `/v1/runs?schedule=${'a'.repeat(64)}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 400, message: expect.stringContaining('schedule') });
  });
});
