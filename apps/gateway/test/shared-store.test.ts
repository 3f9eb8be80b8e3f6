import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatch, openPostgresStore, packSource } from '@dispatch/core';
import type { Dispatch } from '@dispatch/core';
import { createLocalDriver } from '@dispatch/driver-local';
import { isolatedPostgresUrl, postgresTestUrl } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS } from './harness.js';

// Two Dispatch instances (two gateways) on one PostgreSQL: what one changes, the other serves at once.
const serverUrl = postgresTestUrl();

describe.skipIf(serverUrl === undefined)('two gateways sharing a PostgreSQL store', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let first: Dispatch;
  let second: Dispatch;

  async function open(url: string): Promise<Dispatch> {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-shared-'));
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
    await first.secrets.create({ name: 'where', secrets: { place: 'Lisbon' } });
    await first.functions.create({
      name: 'hello',
      image: 'nodejs',
      source: (await packSource(HELLO_JS)).toString('base64'),
      secrets: ['where'],
    });
    await first.functions.waitUntilReady('hello', { timeoutMs: 120_000 });
    // The second gateway reconciles the shared state on start: it deploys the function on its own backend.
    second = await open(url);
    await second.functions.waitUntilReady('hello', { timeoutMs: 120_000 });
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('runs with a secret as the other gateway last wrote it (the change is announced, the cache dropped)', async () => {
    expect((await second.runs.execute('hello', { name: 'A' })).output).toEqual({ myField: 'Hello, A from Lisbon' });
    await first.secrets.update('where', { secrets: { place: 'Porto' } });
    await expect
      .poll(async () => (await second.runs.execute('hello', { name: 'A' })).output, { timeout: 5000 })
      .toEqual({ myField: 'Hello, A from Porto' });
  });

  it('routes by an endpoint the other gateway created', async () => {
    expect(second.endpoints.match('localhost', '/shared', 'GET')).toBeUndefined();
    await first.endpoints.create({ name: 'shared', function: 'hello', uris: ['/shared'], methods: ['GET'] });
    await expect.poll(() => second.endpoints.match('localhost', '/shared', 'GET')?.endpoint.name, { timeout: 5000 }).toBe('shared');
  });

  it('refuses a stale update made through the other gateway', async () => {
    const seen = await second.secrets.get('where');
    await first.secrets.update('where', { secrets: { place: 'Faro' } });
    await expect(second.secrets.update('where', { revision: seen.revision, secrets: { place: 'Braga' } } as never)).rejects.toMatchObject({
      code: 409,
    });
  });
});
