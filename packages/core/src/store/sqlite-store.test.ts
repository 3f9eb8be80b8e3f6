import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run, Secret } from '../domain/types.js';
import { ConflictError } from '../errors.js';
import { MIGRATIONS, migrate, StoreVersionError } from './migrations.js';
import { openSqliteStore, SQLITE_STORE_FILE } from './sqlite-store.js';
import type { Store } from './store.js';
import { baseImage, run } from './store-test-fixtures.js';

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

  it('lists by schedule the runs a store held before it learnt to (schema 4 upgraded)', async () => {
    const db = new Database(join(dir, SQLITE_STORE_FILE));
    migrate(db, dir, MIGRATIONS.slice(0, 4));
    const insert = db.prepare('INSERT INTO runs (id, function_name, executed_time, json) VALUES (?, ?, ?, ?)');
    for (const old of [run('ticked', 'hello', 1, { schedule: 'nightly', scheduledTime: 1 }), run('by-hand', 'hello', 2)]) {
      insert.run(old.id, old.functionName, old.executedTime, JSON.stringify(old));
    }
    db.close();
    const store = openStore();
    expect(ids(await store.runs.list({ schedule: 'nightly' }))).toEqual(['ticked']);
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
