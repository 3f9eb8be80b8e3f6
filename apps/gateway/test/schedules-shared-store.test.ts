import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatch, openPostgresStore, packSource } from '@dispatch/core';
import type { Dispatch } from '@dispatch/core';
import { createLocalDriver } from '@dispatch/driver-local';
import { isolatedPostgresUrl, postgresTestUrl } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS } from './harness.js';

// Two gateways on one PostgreSQL store run the same schedules: each tick must run once, whichever claims it.
const serverUrl = postgresTestUrl();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(serverUrl === undefined)('schedules on two gateways sharing a PostgreSQL store', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let first: Dispatch;
  let second: Dispatch;

  async function open(url: string): Promise<Dispatch> {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-schedules-shared-'));
    const dispatch = await createDispatch({ driver: createLocalDriver({ dataDir }), store: await openPostgresStore(url) });
    cleanups.push(async () => {
      await dispatch.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    return dispatch;
  }

  beforeAll(async () => {
    const { url, drop } = await isolatedPostgresUrl(serverUrl as string);
    cleanups.push(drop);
    first = await open(url);
    await first.functions.create({ name: 'hello', image: 'nodejs', source: (await packSource(HELLO_JS)).toString('base64') });
    await first.functions.waitUntilReady('hello', { timeoutMs: 120_000 });
    second = await open(url);
    await second.functions.waitUntilReady('hello', { timeoutMs: 120_000 });
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('runs each tick once, not once per gateway', async () => {
    // Created through one gateway; the other learns of it by the store's change announcements.
    await first.schedules.create({ name: 'every-second', function: 'hello', cron: '* * * * * *', input: { name: 'tick' } });
    await sleep(5000);
    await second.schedules.update('every-second', { enabled: false });
    await sleep(1500);

    const runs = (await first.runs.list({ functionName: 'hello', limit: 1000 })).filter((run) => run.schedule === 'every-second');
    const ticks = runs.map((run) => run.scheduledTime as number).sort((a, b) => a - b);
    // Run by run: no tick twice, and no tick left out between the first and the last.
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    expect(ticks.at(-1)! - ticks[0]!).toBe(ticks.length - 1);
    await expect
      .poll(
        async () =>
          (await first.runs.list({ functionName: 'hello', limit: 1000 }))
            .filter((run) => run.schedule === 'every-second')
            .every((run) => run.status === 'READY'),
        { timeout: 10_000 },
      )
      .toBe(true);
  }, 60_000);
});
