// Longer than most files on purpose: the one suite every store passes (SQLite, PostgreSQL), kept whole so that no
// store can leave part of it out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// The testkit depends on core, so core's own tests reach its PostgreSQL helper by path.
import { isolatedPostgresUrl, postgresTestUrl } from '../../../driver-testkit/src/postgres.js';
import type { Run, Secret, Tag } from '../domain/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { openPostgresStore } from './postgres-store.js';
import { baseImage, run } from './store-test-fixtures.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** A place to open stores in: each `open()` opens the same state again (a restart, or a second gateway). */
interface StoreLocation {
  open(): Promise<Store>;
  remove(): Promise<void>;
}

const postgresUrl = postgresTestUrl();

const backends: { name: string; skip: boolean; location(): Promise<StoreLocation> }[] = [
  {
    name: 'SQLite',
    skip: false,
    async location() {
      const dir = mkdtempSync(join(tmpdir(), 'dispatch-store-'));
      return { open: async () => openSqliteStore(dir), remove: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresUrl === undefined,
    async location() {
      const { url, drop } = await isolatedPostgresUrl(postgresUrl as string);
      return { open: () => openPostgresStore(url, { maxConnections: 4 }), remove: drop };
    },
  },
];

const ids = (runs: Run[]): string[] => runs.map((r) => r.id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends)('the $name store', (backend) => {
  const locations: StoreLocation[] = [];
  const stores: Store[] = [];

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(locations.splice(0).map((location) => location.remove()));
  });

  /** A new, empty location; `open` opens it again. */
  async function fresh(): Promise<{ store: Store; open(): Promise<Store> }> {
    const location = await backend.location();
    locations.push(location);
    const open = async () => {
      const store = await location.open();
      stores.push(store);
      return store;
    };
    return { store: await open(), open };
  }

  describe.skipIf(backend.skip)('entities', () => {
    it('keeps entities and runs across close and reopen', async () => {
      const { store, open } = await fresh();
      await store.entities('baseimage').insert(baseImage('nodejs'));
      await store.entities('secret').insert({ ...baseImage('creds'), secrets: { user: 'me' } } as unknown as Secret);
      await store.runs.insert(run('r1', 'hello', 10));
      await store.close();

      const second = await open();
      expect(await second.entities('baseimage').get('nodejs')).toEqual(baseImage('nodejs'));
      expect(await second.entities('secret').get('creds')).toMatchObject({ secrets: { user: 'me' } });
      expect(ids(await second.runs.list({ functionName: 'hello' }))).toEqual(['r1']);
    });

    it('refuses a duplicate name, naming the kind', async () => {
      const images = (await fresh()).store.entities('baseimage');
      await images.insert(baseImage('nodejs'));
      const error = await images.insert(baseImage('nodejs')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toBe('baseimage "nodejs" already exists');
    });

    it('keeps kinds apart: the same name may exist once per kind', async () => {
      const { store } = await fresh();
      await store.entities('baseimage').insert(baseImage('hello'));
      await store.entities('image').insert(baseImage('hello') as never);
      expect(await store.entities('function').get('hello')).toBeUndefined();
      expect(await store.entities('image').list()).toHaveLength(1);
    });

    it('updates only from the expected revision, also when two stores share the state', async () => {
      const { store, open } = await fresh();
      const other = await open();
      const images = store.entities('baseimage');
      await images.insert(baseImage('nodejs'));
      await images.update({ ...baseImage('nodejs', [], 2), imageURL: 'new' }, 1);
      expect(await other.entities('baseimage').get('nodejs')).toMatchObject({ revision: 2, imageURL: 'new' });

      const stale = await other
        .entities('baseimage')
        .update(baseImage('nodejs', [], 2), 1)
        .catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConflictError);
      expect((stale as Error).message).toContain('revision 2, expected 1');
      expect(await images.get('nodejs')).toMatchObject({ imageURL: 'new' });
    });

    it('answers NotFoundError when updating something deleted', async () => {
      const images = (await fresh()).store.entities('baseimage');
      await images.insert(baseImage('nodejs'));
      expect(await images.delete('nodejs')).toBe(true);
      expect(await images.delete('nodejs')).toBe(false);
      await expect(images.update(baseImage('nodejs', [], 2), 1)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists by name and keeps only entities carrying every given tag', async () => {
      const images = (await fresh()).store.entities('baseimage');
      await images.insert(baseImage('c', [{ key: 'team', value: 'a' }]));
      await images.insert(
        baseImage('a', [
          { key: 'team', value: 'a' },
          { key: 'env', value: 'prod' },
        ]),
      );
      await images.insert(
        baseImage('b', [
          { key: 'team', value: 'b' },
          { key: 'env', value: 'prod' },
        ]),
      );
      await images.insert(baseImage('d'));

      const names = async (tags?: Tag[]): Promise<string[]> => (await images.list({ tags })).map((i) => i.name);
      expect(await names()).toEqual(['a', 'b', 'c', 'd']);
      expect(await names([])).toEqual(['a', 'b', 'c', 'd']);
      expect(await names([{ key: 'team', value: 'a' }])).toEqual(['a', 'c']);
      expect(
        await names([
          { key: 'team', value: 'a' },
          { key: 'env', value: 'prod' },
        ]),
      ).toEqual(['a']);
      expect(await names([{ key: 'env', value: 'prod' }])).toEqual(['a', 'b']);
      expect(await names([{ key: 'team', value: 'c' }])).toEqual([]);
      expect(await names([{ key: 'env', value: 'PROD' }])).toEqual([]);
    });
  });

  describe.skipIf(backend.skip)('runs', () => {
    it('lists newest first, breaking ties by insertion order, with a default limit of 100', async () => {
      const { runs } = (await fresh()).store;
      await runs.insert(run('old', 'hello', 100));
      await runs.insert(run('same-second-1', 'hello', 200));
      await runs.insert(run('same-second-2', 'hello', 200));
      await runs.insert(run('other', 'world', 150));
      expect(ids(await runs.list({ functionName: 'hello' }))).toEqual(['same-second-2', 'same-second-1', 'old']);
      expect(ids(await runs.list())).toEqual(['same-second-2', 'same-second-1', 'other', 'old']);
      expect(ids(await runs.list({ limit: 2 }))).toEqual(['same-second-2', 'same-second-1']);
      expect(ids(await runs.list({ limit: 2, offset: 2 }))).toEqual(['other', 'old']);
      expect(ids(await runs.list({ functionName: 'hello', offset: 1 }))).toEqual(['same-second-1', 'old']);

      for (let i = 0; i < 150; i++) await runs.insert(run(`bulk-${i}`, 'bulk', 1000 + i));
      const listed = await runs.list({ functionName: 'bulk' });
      expect(listed).toHaveLength(100);
      expect(listed[0]?.id).toBe('bulk-149');
    });

    it('updates a run and refuses duplicates and unknown ids', async () => {
      const { runs } = (await fresh()).store;
      await runs.insert(run('r1', 'hello', 1));
      await runs.update({ ...run('r1', 'hello', 1), output: { ok: true }, status: 'READY' });
      expect(await runs.get('r1')).toMatchObject({ output: { ok: true } });
      await expect(runs.insert(run('r1', 'hello', 1))).rejects.toBeInstanceOf(ConflictError);
      await expect(runs.update(run('nope', 'hello', 1))).rejects.toBeInstanceOf(NotFoundError);
      expect(await runs.get('nope')).toBeUndefined();
    });

    it('prunes to the newest runs of one function only, never a queued run', async () => {
      const { store } = await fresh();
      const { runs } = store;
      await store.queue.submit(run('queued', 'hello', 0, { blocking: false, status: 'INITIALIZED' }));
      for (let i = 1; i <= 5; i++) await runs.insert(run(`h${i}`, 'hello', i));
      await runs.insert(run('w1', 'world', 1));
      await runs.prune('hello', 2);
      expect(ids(await runs.list({ functionName: 'hello' }))).toEqual(['h5', 'h4', 'queued']);
      expect(ids(await runs.list({ functionName: 'world' }))).toEqual(['w1']);
      await runs.prune('hello', Infinity);
      expect(await runs.list({ functionName: 'hello' })).toHaveLength(3);
      await runs.prune('hello', 0);
      expect(ids(await runs.list({ functionName: 'hello' }))).toEqual(['queued']);
    });

    it('deletes every run of a function, and its queued work', async () => {
      const { store } = await fresh();
      await store.runs.insert(run('h1', 'hello', 1));
      await store.queue.submit(run('h2', 'hello', 2, { blocking: false }));
      await store.runs.insert(run('w1', 'world', 1));
      await store.runs.deleteForFunction('hello');
      expect(ids(await store.runs.list())).toEqual(['w1']);
      expect(await store.queue.depth('run')).toBe(0);
    });

    it('lists the dead letters apart', async () => {
      const { runs } = (await fresh()).store;
      await runs.insert(run('ok', 'hello', 1));
      await runs.insert(run('dead', 'hello', 2, { status: 'ERROR', deadLettered: true }));
      await runs.insert(run('dead-too', 'world', 3, { status: 'ERROR', deadLettered: true }));
      expect(ids(await runs.list({ deadLettered: true }))).toEqual(['dead-too', 'dead']);
      expect(ids(await runs.list({ deadLettered: true, functionName: 'hello' }))).toEqual(['dead']);
    });

    it('lists the runs a schedule started, with the other filters and the limit', async () => {
      const { runs } = (await fresh()).store;
      await runs.insert(run('by-hand', 'hello', 1));
      await runs.insert(run('n1', 'hello', 2, { schedule: 'nightly', scheduledTime: 2 }));
      await runs.insert(run('h1', 'hello', 3, { schedule: 'hourly', scheduledTime: 3 }));
      await runs.insert(run('n2', 'hello', 4, { schedule: 'nightly', scheduledTime: 4, status: 'ERROR', deadLettered: true }));
      await runs.insert(run('n3', 'world', 5, { schedule: 'nightly', scheduledTime: 5 }));
      expect(ids(await runs.list({ schedule: 'nightly' }))).toEqual(['n3', 'n2', 'n1']);
      expect(ids(await runs.list({ schedule: 'nightly', limit: 1 }))).toEqual(['n3']);
      expect(ids(await runs.list({ schedule: 'nightly', functionName: 'hello' }))).toEqual(['n2', 'n1']);
      expect(ids(await runs.list({ schedule: 'nightly', deadLettered: true }))).toEqual(['n2']);
      expect(await runs.list({ schedule: 'never' })).toEqual([]);
    });
  });

  describe.skipIf(backend.skip)('the run queue', () => {
    const claim = (store: Store, owner: string, extra: { limit?: number; leaseMs?: number; excludeFunctions?: string[] } = {}) =>
      store.queue.claim({ owner, limit: extra.limit ?? 10, leaseMs: extra.leaseMs ?? 60_000, excludeFunctions: extra.excludeFunctions });

    it('hands each submitted run to one worker only, oldest first, across stores sharing the state', async () => {
      const { store, open } = await fresh();
      const other = await open();
      for (let i = 0; i < 20; i++) await store.queue.submit(run(`r${i}`, 'hello', i, { blocking: false }));
      expect(await store.queue.depth('run')).toBe(20);
      const [a, b] = await Promise.all([claim(store, 'a', { limit: 12 }), claim(other, 'b', { limit: 12 })]);
      const claimed = [...(a ?? []), ...(b ?? [])].map((entry) => entry.runId);
      expect(claimed).toHaveLength(20);
      expect(new Set(claimed).size).toBe(20);
      expect(await claim(store, 'c')).toEqual([]);
      expect(a?.[0]).toMatchObject({ kind: 'run', attempts: 1, run: { functionName: 'hello' } });
    });

    it('writes a settled run once: a worker whose lease expired and was taken over cannot settle it', async () => {
      const { store } = await fresh();
      await store.queue.submit(run('r1', 'hello', 1, { blocking: false, status: 'INITIALIZED' }));
      const [first] = await claim(store, 'slow', { leaseMs: 50 });
      await sleep(80);
      const [second] = await claim(store, 'fast');
      expect(second).toMatchObject({ runId: 'r1', attempts: 2 });
      expect(await store.queue.settle('fast', second!, { ...second!.run, status: 'READY', output: 'fast' })).toBe(true);
      expect(await store.queue.settle('slow', first!, { ...first!.run, status: 'READY', output: 'slow' })).toBe(false);
      expect(await store.runs.get('r1')).toMatchObject({ output: 'fast' });
      expect(await store.queue.depth('run')).toBe(0);
    });

    it('keeps a renewed lease, retries after a back-off, and queues follow-up work', async () => {
      const { store } = await fresh();
      await store.queue.submit(run('r1', 'hello', 1, { blocking: false }));
      const [entry] = await claim(store, 'w', { leaseMs: 100 });
      await sleep(60);
      await store.queue.renew('w', [entry!], 200);
      await sleep(60);
      expect(await claim(store, 'thief')).toEqual([]);

      expect(await store.queue.settle('w', entry!, { ...entry!.run, attempts: 1 }, { kind: 'run', delayMs: 100 })).toBe(true);
      expect(await claim(store, 'w')).toEqual([]);
      await sleep(120);
      const [retry] = await claim(store, 'w');
      expect(retry).toMatchObject({ runId: 'r1', attempts: 2, run: { attempts: 1 } });

      expect(await store.queue.settle('w', retry!, { ...retry!.run, status: 'READY' }, { kind: 'callback', delayMs: 0 })).toBe(true);
      expect(await store.queue.depth('run')).toBe(0);
      const [callback] = await claim(store, 'w');
      expect(callback).toMatchObject({ runId: 'r1', kind: 'callback', attempts: 1, run: { status: 'READY' } });
    });

    it('leaves the functions it is told to alone, and takes a released entry back without counting it', async () => {
      const { store } = await fresh();
      await store.queue.submit(run('busy', 'busy', 1, { blocking: false }));
      await store.queue.submit(run('free', 'free', 2, { blocking: false }));
      const claimed = await claim(store, 'w', { excludeFunctions: ['busy'] });
      expect(claimed.map((entry) => entry.runId)).toEqual(['free']);
      await store.queue.release('w', claimed[0]!);
      const again = await claim(store, 'w');
      expect(again.map((entry) => [entry.runId, entry.attempts])).toEqual([
        ['busy', 1],
        ['free', 1],
      ]);
    });

    it('returns the same run for the same idempotency key within its window, and a new one after it', async () => {
      const { store } = await fresh();
      const first = await store.queue.submit(run('r1', 'hello', 100, { blocking: false }), { dedupeKey: 'k', dedupeSince: 50 });
      expect(first.created).toBe(true);
      const [again, elsewhere] = await Promise.all([
        store.queue.submit(run('r2', 'hello', 120, { blocking: false }), { dedupeKey: 'k', dedupeSince: 70 }),
        store.queue.submit(run('r3', 'other', 120, { blocking: false }), { dedupeKey: 'k', dedupeSince: 70 }),
      ]);
      expect(again).toMatchObject({ created: false, run: { id: 'r1' } });
      expect(elsewhere).toMatchObject({ created: true, run: { id: 'r3' } });
      const late = await store.queue.submit(run('r4', 'hello', 300, { blocking: false }), { dedupeKey: 'k', dedupeSince: 200 });
      expect(late).toMatchObject({ created: true, run: { id: 'r4' } });
      expect(await store.queue.depth('run')).toBe(3);
    });

    it('re-queues a dead letter', async () => {
      const { store } = await fresh();
      await store.queue.submit(run('r1', 'hello', 1, { blocking: false }));
      const [entry] = await claim(store, 'w');
      await store.queue.settle('w', entry!, { ...entry!.run, status: 'ERROR', deadLettered: true });
      await store.queue.requeue({ ...entry!.run, status: 'INITIALIZED', deadLettered: false }, 'run');
      expect(await claim(store, 'w')).toMatchObject([{ runId: 'r1', run: { status: 'INITIALIZED' } }]);
      await expect(store.queue.requeue(run('nope', 'hello', 1), 'run')).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe.skipIf(backend.skip)('schedule ticks', () => {
    const tickRun = (id: string) => run(id, 'hello', 1, { blocking: false, schedule: 'every' });

    it('runs a tick once, whichever of the stores sharing the state claims it first', async () => {
      const { store, open } = await fresh();
      const other = await open();
      const submitted = await Promise.all(
        [store, other, store, other].map((s, i) => s.queue.submit(tickRun(`r${i}`), { tick: { schedule: 'every', time: 5000 } })),
      );
      expect(submitted.filter((result) => result.created)).toHaveLength(1);
      expect(await store.queue.depth('run')).toBe(1);
      expect((await store.runs.list()).map((r) => r.schedule)).toEqual(['every']);
    });

    it('refuses a tick older than the newest claimed, keeps other schedules apart, and forgets a deleted schedule', async () => {
      const { store } = await fresh();
      expect((await store.queue.submit(tickRun('t2'), { tick: { schedule: 'every', time: 2000 } })).created).toBe(true);
      expect((await store.queue.submit(tickRun('t1'), { tick: { schedule: 'every', time: 1000 } })).created).toBe(false);
      expect((await store.queue.submit(tickRun('o1'), { tick: { schedule: 'other', time: 1000 } })).created).toBe(true);
      expect((await store.queue.submit(tickRun('t3'), { tick: { schedule: 'every', time: 3000 } })).created).toBe(true);
      expect((await store.queue.submit(tickRun('t3-again'), { tick: { schedule: 'every', time: 3000 } })).created).toBe(false);
      await store.queue.forgetTicks('every');
      expect((await store.queue.submit(tickRun('t1-new'), { tick: { schedule: 'every', time: 1000 } })).created).toBe(true);
      expect(ids(await store.runs.list()).sort()).toEqual(['o1', 't1-new', 't2', 't3']);
    });
  });

  describe.skipIf(backend.skip)('work leases', () => {
    it('gives a key to one owner until it expires or is released', async () => {
      const { store, open } = await fresh();
      const other = await open();
      expect(await store.leases.acquire('build/x', 'a', 100)).toBe(true);
      expect(await other.leases.acquire('build/x', 'b', 100)).toBe(false);
      expect(await store.leases.acquire('build/x', 'a', 100)).toBe(true);
      await sleep(150);
      expect(await other.leases.acquire('build/x', 'b', 1000)).toBe(true);
      await store.leases.release('build/x', 'a');
      expect(await store.leases.acquire('build/x', 'a', 100)).toBe(false);
      await other.leases.release('build/x', 'b');
      expect(await store.leases.acquire('build/x', 'a', 100)).toBe(true);
    });
  });
});
