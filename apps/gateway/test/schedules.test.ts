import type { Run, Schedule } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunction, HELLO_JS, startTestGateway, type TestGateway } from './harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The runs a schedule started, oldest tick first. */
async function runsOf(gateway: TestGateway, schedule: string): Promise<Run[]> {
  const runs = await gateway.dispatch.runs.list({ functionName: 'hello', limit: 1000 });
  return runs.filter((run) => run.schedule === schedule).sort((a, b) => (a.scheduledTime ?? 0) - (b.scheduledTime ?? 0));
}

const ticksOf = (runs: Run[]) => runs.map((run) => run.scheduledTime as number);

describe('schedules', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
    await createFunction(gateway, { name: 'hello', image: 'nodejs', sourcePath: HELLO_JS });
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
  });

  describe('the API', () => {
    it('creates a schedule (201) answered with its next run times in its time zone, and lists it', async () => {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/schedule',
        payload: { name: 'nightly', function: 'hello', cron: '30 2 * * *', timezone: 'Europe/Berlin', input: { name: 'night' } },
      });
      expect(response.statusCode).toBe(201);
      const schedule = response.json<Schedule>();
      expect(schedule).toMatchObject({ name: 'nightly', function: 'hello', timezone: 'Europe/Berlin', enabled: true, status: 'READY' });
      expect(schedule.nextRuns).toHaveLength(3);
      for (const next of schedule.nextRuns ?? []) {
        expect(next).toBeGreaterThan(nowSeconds());
        const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(
          next * 1000,
        );
        expect(berlin).toBe('02:30');
      }
      const list = await gateway.request({ method: 'GET', url: '/v1/schedule' });
      expect(list.json<Schedule[]>().map((s) => s.name)).toContain('nightly');
    });

    it.each([
      ['a bad cron expression', { cron: '61 * * * *' }, 'cron "61 * * * *" is not valid'],
      ['a cron expression with too few fields', { cron: '* *' }, 'is not valid'],
      ['a cron expression that never runs', { cron: '0 0 30 2 *' }, 'never runs'],
      ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'unknown time zone "Mars/Olympus"'],
      ['an unknown function', { function: 'nope' }, 'function "nope" not found'],
      ['no cron expression', { cron: undefined }, 'cron is required'],
      ['an input larger than 64 KiB', { input: 'x'.repeat(70_000) }, 'input is larger than'],
    ])('answers 400 with a clear message to %s', async (_, fields, message) => {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/schedule',
        payload: { name: 'bad', function: 'hello', cron: '* * * * *', ...fields },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: 400, message: expect.stringContaining(message) });
    });

    it('disables a schedule (no next runs) and enables it again', async () => {
      const disabled = await gateway.request({ method: 'PUT', url: '/v1/schedule/nightly', payload: { enabled: false } });
      expect(disabled.statusCode).toBe(200);
      expect(disabled.json<Schedule>()).toMatchObject({ enabled: false, nextRuns: [], cron: '30 2 * * *' });
      const enabled = await gateway.request({ method: 'PUT', url: '/v1/schedule/nightly', payload: { enabled: true } });
      expect(enabled.json<Schedule>().nextRuns).toHaveLength(3);
    });

    it('refuses to delete a function a schedule runs (409), then deletes the schedule', async () => {
      const refused = await gateway.request({ method: 'DELETE', url: '/v1/function/hello' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().message).toContain('schedule "nightly"');
      expect((await gateway.request({ method: 'DELETE', url: '/v1/schedule/nightly' })).statusCode).toBe(200);
      expect((await gateway.request({ method: 'GET', url: '/v1/schedule/nightly' })).statusCode).toBe(404);
    });

    it('needs the admin token', async () => {
      const response = await gateway.app.inject({ method: 'GET', url: '/v1/schedule' });
      expect(response.statusCode).toBe(401);
    });
  });

  it('runs a schedule every second about once a second, one run per tick, each in the history with the schedule name', async () => {
    const created = await gateway.request({
      method: 'POST',
      url: '/v1/schedule',
      payload: { name: 'every-second', function: 'hello', cron: '* * * * * *', input: { name: 'tick' } },
    });
    expect(created.statusCode).toBe(201);
    const from = nowSeconds();
    await sleep(5000);
    await gateway.request({ method: 'PUT', url: '/v1/schedule/every-second', payload: { enabled: false } });
    const to = nowSeconds();

    await expect
      .poll(async () => (await runsOf(gateway, 'every-second')).every((run) => run.status === 'READY'), { timeout: 10_000 })
      .toBe(true);
    const runs = await runsOf(gateway, 'every-second');
    const ticks = ticksOf(runs);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(runs.length).toBeLessThanOrEqual(6);
    // Run by run: one run per tick, ticks one second apart, none before the schedule existed or after it was disabled.
    ticks.forEach((tick, i) => i > 0 && expect(tick - (ticks[i - 1] as number)).toBe(1));
    expect(ticks[0]).toBeGreaterThan(from);
    expect(ticks.at(-1)).toBeLessThanOrEqual(to);
    for (const run of runs)
      expect(run).toMatchObject({
        blocking: false,
        functionName: 'hello',
        input: { name: 'tick' },
        output: { myField: 'Hello, tick from Nowhere' },
      });
    await gateway.request({ method: 'DELETE', url: '/v1/schedule/every-second' });
  }, 30_000);
});

describe('schedules across a gateway restart', () => {
  let gateway: TestGateway | undefined;

  afterAll(async () => {
    await gateway?.close();
  });

  it('runs the ticks missed while the gateway was down once, not once per missed tick', async () => {
    gateway = await startTestGateway();
    await createFunction(gateway, { name: 'hello', image: 'nodejs', sourcePath: HELLO_JS });
    const dataDir = gateway.dataDir;
    await gateway.dispatch.schedules.create({ name: 'every-second', function: 'hello', cron: '* * * * * *' });
    // At least one tick before the stop, however busy the machine, so that the jump over the downtime shows.
    const until = Date.now() + 15_000;
    while ((await runsOf(gateway, 'every-second')).length === 0 && Date.now() < until) await sleep(100);
    // A tick once a minute, due a few seconds from now: it passes while the gateway is down (3 s from the stop).
    const due = nowSeconds() + 3;
    const minutely = `${due % 60} * * * * *`;
    await gateway.dispatch.schedules.create({ name: 'minutely', function: 'hello', cron: minutely });

    await gateway.close({ keepData: true });
    const stopped = nowSeconds();
    gateway = undefined;
    const before = await (async () => {
      const { openSqliteStore } = await import('@dispatch/core');
      const store = openSqliteStore(dataDir);
      const runs = await store.runs.list({ functionName: 'hello', limit: 1000 });
      await store.close();
      return runs;
    })();
    expect(before.filter((run) => run.schedule === 'minutely')).toEqual([]);
    const lastBefore = Math.max(...before.filter((run) => run.schedule === 'every-second').map((run) => run.scheduledTime as number));
    expect(lastBefore).toBeLessThanOrEqual(stopped);
    await sleep(3000);

    gateway = await startTestGateway({ dataDir });
    await sleep(2500);
    const minutelyRuns = await runsOf(gateway, 'minutely');
    expect(ticksOf(minutelyRuns)).toEqual([due]);

    const ticks = ticksOf(await runsOf(gateway, 'every-second'));
    expect(new Set(ticks).size).toBe(ticks.length);
    const gaps = ticks.slice(1).map((tick, i) => tick - (ticks[i] as number));
    // One jump over the downtime (its ticks were not run one by one), one second apart otherwise.
    expect(gaps.filter((gap) => gap !== 1)).toHaveLength(1);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(3);
    // The ticks of the downtime itself ran not at all (the one caught up is the newest, at the restart).
    expect(ticks.filter((tick) => tick > lastBefore && tick < stopped + 3)).toEqual([]);
  }, 300_000);
});
