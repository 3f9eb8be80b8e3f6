import { createConnection, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
// The testkit depends on core, so core's own tests reach its PostgreSQL helper by path.
import { freePort } from '../../../driver-testkit/src/net.js';
import { isolatedPostgresUrl, postgresTestUrl } from '../../../driver-testkit/src/postgres.js';
import type { Secret } from '../domain/types.js';
import { openPostgresStore } from './postgres-store.js';
import type { EntityChange, Store } from './store.js';

const serverUrl = postgresTestUrl();

const secret = (name: string, revision = 1): Secret => ({
  name,
  id: `id-${name}`,
  createdTime: 1,
  modifiedTime: revision,
  revision,
  tags: [],
  status: 'READY',
  reason: '',
  secrets: { value: String(revision) },
});

describe.skipIf(serverUrl === undefined)('openPostgresStore', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function twoStores(): Promise<[Store, Store, string]> {
    const { url, drop } = await isolatedPostgresUrl(serverUrl as string);
    cleanups.push(drop);
    const stores = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    cleanups.push(async () => {
      await Promise.all(stores.map((store) => store.close()));
    });
    return [stores[0], stores[1], url];
  }

  it('migrates once when two gateways start together, and tells each of the changes the other made', async () => {
    const [first, second] = await twoStores();
    const seen: EntityChange[] = [];
    second.watchChanges?.((change) => seen.push(change));
    const own: EntityChange[] = [];
    first.watchChanges?.((change) => own.push(change));
    await new Promise((resolve) => setTimeout(resolve, 100));

    await first.entities('secret').insert(secret('creds'));
    await first.entities('secret').update(secret('creds', 2), 1);
    await first.entities('secret').delete('creds');
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual([
      { kind: 'secret', name: 'creds' },
      { kind: 'secret', name: 'creds' },
      { kind: 'secret', name: 'creds' },
    ]);
    expect(own).toEqual([]);
  });

  it('refuses a database whose schema is newer than this Dispatch knows', async () => {
    const [first, , url] = await twoStores();
    await first.close();
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE dispatch_schema SET version = 99');
    await client.end();
    await expect(openPostgresStore(url)).rejects.toThrow(/schema version 99, newer than this Dispatch knows/);
  });

  it('names the server, never the password, when it cannot connect', async () => {
    const error = (await openPostgresStore('postgres://dispatch:hunter2@127.0.0.1:1/dispatch', { startWaitMs: 0 }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(
      /^cannot open the PostgreSQL store at postgres:\/\/dispatch:\*\*\*@127\.0\.0\.1:1\/dispatch: .*ECONNREFUSED/,
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('waits for a database that is not reachable yet when the gateway starts, as beside it in a stack', async () => {
    const { url, drop } = await isolatedPostgresUrl(serverUrl as string);
    cleanups.push(drop);
    const server = new URL(url);
    const upstreamPort = Number(server.port || 5432);
    const upstreamHost = server.hostname;
    // The database's port opens a second after the store starts opening: a forwarder to the real server.
    const port = await freePort();
    const forwarder = createServer((socket) => {
      const upstream = createConnection(upstreamPort, upstreamHost);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    cleanups.push(() => new Promise((resolve) => forwarder.close(() => resolve())));
    setTimeout(() => forwarder.listen(port, '127.0.0.1'), 1000);
    server.hostname = '127.0.0.1';
    server.port = String(port);
    const store = await openPostgresStore(server.toString(), { startWaitMs: 20_000 });
    cleanups.push(() => store.close());
    await store.entities('secret').insert(secret('after-wait'));
    expect((await store.entities('secret').get('after-wait'))?.name).toBe('after-wait');
  });

  it('listens again when the server ends its listening connection (a restart, a failover), and tells its caches they may be stale', async () => {
    const { url, drop } = await isolatedPostgresUrl(serverUrl as string);
    cleanups.push(drop);
    // The listening store's connections carry a name of their own, to find its LISTEN among other tests'.
    const app = `dispatch-listen-${process.pid}-${Date.now()}`;
    const [first, second] = await Promise.all([openPostgresStore(url), openPostgresStore(`${url}&application_name=${app}`)]);
    cleanups.push(async () => {
      await Promise.all([first.close(), second.close()]);
    });
    const seen: EntityChange[] = [];
    second.watchChanges?.((change) => seen.push(change));
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    cleanups.push(() => admin.end());
    const listening = async (): Promise<number[]> => {
      const { rows } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [app],
      );
      return rows.map((row) => row.pid);
    };
    await expect.poll(listening).toHaveLength(1);
    const [ended] = await listening();
    // What the server does to its connections on a fast shutdown: the client gets 57P01.
    await admin.query('SELECT pg_terminate_backend($1)', [ended]);
    await expect.poll(async () => (await listening()).filter((pid) => pid !== ended)).toHaveLength(1);

    // What was announced while it was away is lost: its caches are told that anything may have changed.
    await expect
      .poll(() => seen.filter((change) => change.name === undefined).map((change) => change.kind))
      .toEqual(['baseimage', 'image', 'function', 'secret', 'endpoint', 'schedule']);

    await first.entities('secret').insert(secret('after-restart'));
    await expect.poll(() => seen.filter((change) => change.name !== undefined)).toEqual([{ kind: 'secret', name: 'after-restart' }]);
  });
});
