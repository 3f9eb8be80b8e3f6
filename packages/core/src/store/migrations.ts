import type { Database } from 'better-sqlite3';
import { DispatchError } from '../errors.js';

/** One step of the store's schema. Steps are never edited once released; a change is a new step. */
export interface Migration {
  /** The `PRAGMA user_version` the database has after this step; steps are numbered 1, 2, 3, ... */
  version: number;
  description: string;
  up(db: Database): void;
}

/**
 * The schema, oldest first.
 *
 * Entities share one table: the five kinds have the same envelope (name, id, revision, times) and are only
 * ever looked up by kind and name or listed whole, while their own fields live in the JSON document, which
 * the store never queries column by column. One table means a new kind or a new field needs no migration.
 * WITHOUT ROWID because the primary key is the only access path.
 *
 * Runs are the one hot table: inserted on every call, listed newest first per function and pruned per
 * function, hence the (function_name, executed_time DESC) index. `executed_time` has a resolution of one
 * second, so order within a second comes from the rowid (insertion order), which every index carries.
 *
 * The run queue is its own small table rather than columns of `runs`: it holds only the work still to do
 * (a row leaves when its work is settled), so claiming scans a few rows, not the history. A run and its queue
 * row are written in one transaction. `available_at` and `lease_until` are epoch milliseconds.
 *
 * A schedule's ticks are claimed by inserting (schedule, tick) in the transaction that submits the tick's run:
 * the primary key lets one gateway win a tick, and a claim older than the schedule's newest is refused, so
 * only the newest claim per schedule needs keeping. `tick` is epoch milliseconds.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'entities and runs',
    up(db) {
      db.exec(`
        CREATE TABLE entities (
          kind     TEXT    NOT NULL,
          name     TEXT    NOT NULL,
          id       TEXT    NOT NULL,
          revision INTEGER NOT NULL,
          json     TEXT    NOT NULL,
          created  INTEGER NOT NULL,
          modified INTEGER NOT NULL,
          PRIMARY KEY (kind, name)
        ) WITHOUT ROWID;

        CREATE TABLE runs (
          id            TEXT    NOT NULL PRIMARY KEY,
          function_name TEXT    NOT NULL,
          executed_time INTEGER NOT NULL,
          json          TEXT    NOT NULL
        );
        CREATE INDEX runs_by_function ON runs (function_name, executed_time DESC);
        CREATE INDEX runs_by_time ON runs (executed_time DESC);
      `);
    },
  },
  {
    version: 2,
    description: 'the durable run queue, idempotency keys and work leases',
    up(db) {
      db.exec(`
        ALTER TABLE runs ADD COLUMN dedupe_key TEXT;
        CREATE UNIQUE INDEX runs_by_dedupe_key ON runs (function_name, dedupe_key) WHERE dedupe_key IS NOT NULL;

        CREATE TABLE run_queue (
          run_id        TEXT    NOT NULL,
          kind          TEXT    NOT NULL,
          function_name TEXT    NOT NULL,
          available_at  INTEGER NOT NULL,
          lease_owner   TEXT,
          lease_until   INTEGER NOT NULL DEFAULT 0,
          attempts      INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (run_id, kind)
        ) WITHOUT ROWID;
        CREATE INDEX run_queue_due ON run_queue (available_at);
        CREATE INDEX run_queue_leased ON run_queue (lease_until);

        CREATE TABLE leases (
          key   TEXT    NOT NULL PRIMARY KEY,
          owner TEXT    NOT NULL,
          until INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 3,
    description: 'claims read only the waiting and the leased queue entries, each through its own index',
    up(db) {
      db.exec(`
        DROP INDEX run_queue_due;
        DROP INDEX run_queue_leased;
        CREATE INDEX run_queue_waiting ON run_queue (available_at) WHERE lease_owner IS NULL;
        CREATE INDEX run_queue_leased ON run_queue (lease_until) WHERE lease_owner IS NOT NULL;
      `);
    },
  },
  {
    version: 4,
    description: 'schedule ticks, each claimed once',
    up(db) {
      db.exec(`
        CREATE TABLE schedule_ticks (
          schedule TEXT    NOT NULL,
          tick     INTEGER NOT NULL,
          run_id   TEXT    NOT NULL,
          PRIMARY KEY (schedule, tick)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 5,
    description: 'runs listed by the schedule that started them',
    // A column written from the run object, not an index over the JSON: no run write parses its document
    // again, and the partial index leaves out the runs no schedule started.
    up(db) {
      db.exec(`
        ALTER TABLE runs ADD COLUMN schedule TEXT;
        UPDATE runs SET schedule = json_extract(json, '$.schedule') WHERE json_extract(json, '$.schedule') IS NOT NULL;
        CREATE INDEX runs_by_schedule ON runs (schedule, executed_time DESC) WHERE schedule IS NOT NULL;
      `);
    },
  },
];

/** The store was written by a newer Dispatch, whose schema this one does not know (500). */
export class StoreVersionError extends DispatchError {
  constructor(message: string) {
    super(500, message);
  }
}

/**
 * Brings the database up to the newest schema, in one immediate transaction so that two processes opening
 * the same file never both migrate it, and a failed step leaves the previous schema intact.
 * Returns the schema version the database now has.
 */
export function migrate(db: Database, location: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations.length;
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new StoreVersionError(
        `store ${location} has schema version ${current}, newer than this Dispatch knows (${latest}); ` +
          'upgrade Dispatch or point it at another data directory',
      );
    }
    for (const migration of migrations.slice(current)) {
      migration.up(db);
      // user_version is part of the database header, so it commits or rolls back with the step.
      db.pragma(`user_version = ${migration.version}`);
    }
    return latest;
  });
  return apply.immediate();
}
