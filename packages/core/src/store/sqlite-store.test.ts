import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaseImage, Run, Secret, Tag } from '../domain/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { MIGRATIONS, StoreVersionError } from './migrations.js';
import { openSqliteStore, SQLITE_STORE_FILE } from './sqlite-store.js';
import type { Store } from './store.js';

let dir: string;
const open: Store[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dispatch-store-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
  rmSync(dir, { recursive: true, force: true });
});

function openStore(location: string = dir): Store {
  const store = openSqliteStore(location);
  open.push(store);
  return store;
}

function baseImage(name: string, tags: Tag[] = [], revision = 1): BaseImage {
  return {
    name,
    id: `id-${name}`,
    createdTime: 1_700_000_000,
    modifiedTime: 1_700_000_000 + revision,
    revision,
    tags,
    status: 'READY',
    reason: '',
    imageURL: `dispatch/${name}:latest`,
    language: 'nodejs',
  };
}

function run(id: string, functionName: string, executedTime: number): Run {
  return {
    name: id,
    id,
    functionName,
    blocking: true,
    input: { id },
    output: null,
    logs: { stdout: [], stderr: [] },
    secrets: [],
    status: 'READY',
    reason: '',
    executedTime,
    finishedTime: executedTime,
  };
}

const ids = (runs: Run[]): string[] => runs.map((r) => r.id);

describe('openSqliteStore', () => {
  it('keeps entities and runs across close and reopen of a directory store', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = openSqliteStore(dataDir);
    await first.entities('baseimage').insert(baseImage('nodejs'));
    await first.entities('secret').insert({ ...baseImage('creds'), secrets: { user: 'me' } } as unknown as Secret);
    await first.runs.insert(run('r1', 'hello', 10));
    await first.close();

    const second = openStore(dataDir);
    expect(await second.entities('baseimage').get('nodejs')).toEqual(baseImage('nodejs'));
    expect(await second.entities('secret').get('creds')).toMatchObject({ secrets: { user: 'me' } });
    expect(ids(await second.runs.list({ functionName: 'hello' }))).toEqual(['r1']);
    expect(statSync(join(dataDir, SQLITE_STORE_FILE)).mode & 0o777).toBe(0o600);
  });

  it('applies the migrations once and reopens an up-to-date store unchanged', async () => {
    await openSqliteStore(dir).close();
    await openSqliteStore(dir).close();
    const db = new Database(join(dir, SQLITE_STORE_FILE));
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('refuses a store written by a newer version', () => {
    const db = new Database(join(dir, SQLITE_STORE_FILE));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openSqliteStore(dir)).toThrow(StoreVersionError);
    expect(() => openSqliteStore(dir)).toThrow(/newer than this Dispatch knows/);
  });

  it('works in memory', async () => {
    const store = openStore(':memory:');
    await store.entities('baseimage').insert(baseImage('python3'));
    expect(await store.entities('baseimage').list()).toHaveLength(1);
  });
});

describe('entities', () => {
  it('refuses a duplicate name, naming the kind', async () => {
    const images = openStore().entities('baseimage');
    await images.insert(baseImage('nodejs'));
    const error = await images.insert(baseImage('nodejs')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('baseimage "nodejs" already exists');
  });

  it('keeps kinds apart: the same name may exist once per kind', async () => {
    const store = openStore();
    await store.entities('baseimage').insert(baseImage('hello'));
    await store.entities('image').insert(baseImage('hello') as never);
    expect(await store.entities('function').get('hello')).toBeUndefined();
    expect(await store.entities('image').list()).toHaveLength(1);
  });

  it('updates only from the expected revision', async () => {
    const images = openStore().entities('baseimage');
    await images.insert(baseImage('nodejs'));
    await images.update({ ...baseImage('nodejs', [], 2), imageURL: 'new' }, 1);
    expect(await images.get('nodejs')).toMatchObject({ revision: 2, imageURL: 'new' });

    const stale = await images.update(baseImage('nodejs', [], 2), 1).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as Error).message).toContain('revision 2, expected 1');
    expect(await images.get('nodejs')).toMatchObject({ imageURL: 'new' });
  });

  it('answers NotFoundError when updating something deleted', async () => {
    const images = openStore().entities('baseimage');
    await images.insert(baseImage('nodejs'));
    expect(await images.delete('nodejs')).toBe(true);
    expect(await images.delete('nodejs')).toBe(false);
    await expect(images.update(baseImage('nodejs', [], 2), 1)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists by name and keeps only entities carrying every given tag', async () => {
    const images = openStore().entities('baseimage');
    await images.insert(baseImage('c', [{ key: 'team', value: 'a' }]));
    await images.insert(baseImage('a', [{ key: 'team', value: 'a' }, { key: 'env', value: 'prod' }]));
    await images.insert(baseImage('b', [{ key: 'team', value: 'b' }, { key: 'env', value: 'prod' }]));
    await images.insert(baseImage('d'));

    const names = async (tags?: Tag[]): Promise<string[]> => (await images.list({ tags })).map((i) => i.name);
    expect(await names()).toEqual(['a', 'b', 'c', 'd']);
    expect(await names([])).toEqual(['a', 'b', 'c', 'd']);
    expect(await names([{ key: 'team', value: 'a' }])).toEqual(['a', 'c']);
    expect(await names([{ key: 'team', value: 'a' }, { key: 'env', value: 'prod' }])).toEqual(['a']);
    expect(await names([{ key: 'env', value: 'prod' }])).toEqual(['a', 'b']);
    expect(await names([{ key: 'team', value: 'c' }])).toEqual([]);
    expect(await names([{ key: 'env', value: 'PROD' }])).toEqual([]);
  });
});

describe('runs', () => {
  it('lists newest first, breaking ties by insertion order, with a default limit of 100', async () => {
    const { runs } = openStore();
    await runs.insert(run('old', 'hello', 100));
    await runs.insert(run('same-second-1', 'hello', 200));
    await runs.insert(run('same-second-2', 'hello', 200));
    await runs.insert(run('other', 'world', 150));
    expect(ids(await runs.list({ functionName: 'hello' }))).toEqual(['same-second-2', 'same-second-1', 'old']);
    expect(ids(await runs.list())).toEqual(['same-second-2', 'same-second-1', 'other', 'old']);
    expect(ids(await runs.list({ limit: 2 }))).toEqual(['same-second-2', 'same-second-1']);

    for (let i = 0; i < 150; i++) await runs.insert(run(`bulk-${i}`, 'bulk', 1000 + i));
    const listed = await runs.list({ functionName: 'bulk' });
    expect(listed).toHaveLength(100);
    expect(listed[0]?.id).toBe('bulk-149');
  });

  it('updates a run and refuses duplicates and unknown ids', async () => {
    const { runs } = openStore();
    await runs.insert(run('r1', 'hello', 1));
    await runs.update({ ...run('r1', 'hello', 1), output: { ok: true }, status: 'READY' });
    expect(await runs.get('r1')).toMatchObject({ output: { ok: true } });
    await expect(runs.insert(run('r1', 'hello', 1))).rejects.toBeInstanceOf(ConflictError);
    await expect(runs.update(run('nope', 'hello', 1))).rejects.toBeInstanceOf(NotFoundError);
    expect(await runs.get('nope')).toBeUndefined();
  });

  it('prunes to the newest runs of one function only', async () => {
    const { runs } = openStore();
    for (let i = 1; i <= 5; i++) await runs.insert(run(`h${i}`, 'hello', i));
    await runs.insert(run('w1', 'world', 1));
    await runs.prune('hello', 2);
    expect(ids(await runs.list({ functionName: 'hello' }))).toEqual(['h5', 'h4']);
    expect(ids(await runs.list({ functionName: 'world' }))).toEqual(['w1']);
    await runs.prune('hello', Infinity);
    expect(await runs.list({ functionName: 'hello' })).toHaveLength(2);
    await runs.prune('hello', 0);
    expect(await runs.list({ functionName: 'hello' })).toEqual([]);
  });

  it('deletes every run of a function', async () => {
    const { runs } = openStore();
    await runs.insert(run('h1', 'hello', 1));
    await runs.insert(run('w1', 'world', 1));
    await runs.deleteForFunction('hello');
    expect(ids(await runs.list())).toEqual(['w1']);
  });
});

describe('run inserts written in batches', () => {
  it('commits runs inserted together, each insert resolving once its row is written', async () => {
    const store = openStore();
    await Promise.all(Array.from({ length: 250 }, (_, i) => store.runs.insert(run(`r${i}`, 'hello', 1_700_000_000 + i))));
    expect(await store.runs.list({ functionName: 'hello', limit: 1000 })).toHaveLength(250);
  });

  it('fails only the duplicate of a batch and keeps the other runs', async () => {
    const store = openStore();
    await store.runs.insert(run('taken', 'hello', 1_700_000_000));
    const results = await Promise.allSettled([
      store.runs.insert(run('a', 'hello', 1_700_000_001)),
      store.runs.insert(run('taken', 'hello', 1_700_000_002)),
      store.runs.insert(run('b', 'hello', 1_700_000_003)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect((await store.runs.list({ functionName: 'hello' })).map((r) => r.id).sort()).toEqual(['a', 'b', 'taken']);
  });

  it('keeps a run that is read before its batch was written, and one inserted just before close', async () => {
    const store = openSqliteStore(dir);
    void store.runs.insert(run('early', 'hello', 1_700_000_000));
    expect(await store.runs.get('early')).toMatchObject({ id: 'early' });
    void store.runs.insert(run('last', 'hello', 1_700_000_001));
    await store.close();
    expect(await openStore().runs.get('last')).toMatchObject({ id: 'last' });
  });
});
