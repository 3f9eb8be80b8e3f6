import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrations.js';
import type { Migration } from './migrations.js';

const table = (version: number, name: string): Migration => ({
  version,
  description: name,
  up: (db) => db.exec(`CREATE TABLE ${name} (x)`),
});

const tables = (db: Database.Database): string[] =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);

describe('migrate', () => {
  it('applies only the steps newer than user_version', () => {
    const db = new Database(':memory:');
    expect(migrate(db, 'test', [table(1, 'a')])).toBe(1);
    expect(migrate(db, 'test', [table(1, 'a'), table(2, 'b')])).toBe(2);
    expect(migrate(db, 'test', [table(1, 'a'), table(2, 'b')])).toBe(2);
    expect(tables(db)).toEqual(['a', 'b']);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
  });

  it('rolls every pending step back when one fails', () => {
    const db = new Database(':memory:');
    const failing: Migration = {
      version: 2,
      description: 'fails',
      up: () => {
        throw new Error('step failed');
      },
    };
    expect(() => migrate(db, 'test', [table(1, 'a'), failing])).toThrow('step failed');
    expect(tables(db)).toEqual([]);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
  });
});
