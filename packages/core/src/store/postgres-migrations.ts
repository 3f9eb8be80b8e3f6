import type { PoolClient } from 'pg';
import { StoreVersionError } from './migrations.js';

/**
 * The PostgreSQL schema, oldest first: the same tables as SQLite's (see MIGRATIONS in migrations.ts), numbered
 * alike, so that a step added to one store is added to the other under the same version. Steps are never edited
 * once released. `seq` gives runs the insertion order SQLite's rowid gives them.
 */
export const POSTGRES_MIGRATIONS: readonly { version: number; description: string; sql: string }[] = [
  {
    version: 1,
    description: 'entities and runs',
    sql: `
      CREATE TABLE entities (
        kind     TEXT    NOT NULL,
        name     TEXT    NOT NULL,
        id       TEXT    NOT NULL,
        revision INTEGER NOT NULL,
        json     TEXT    NOT NULL,
        created  BIGINT  NOT NULL,
        modified BIGINT  NOT NULL,
        PRIMARY KEY (kind, name)
      );
      CREATE TABLE runs (
        seq           BIGSERIAL NOT NULL,
        id            TEXT      NOT NULL PRIMARY KEY,
        function_name TEXT      NOT NULL,
        executed_time BIGINT    NOT NULL,
        json          TEXT      NOT NULL
      );
      CREATE INDEX runs_by_function ON runs (function_name, executed_time DESC, seq DESC);
      CREATE INDEX runs_by_time ON runs (executed_time DESC, seq DESC);`,
  },
  {
    version: 2,
    description: 'the durable run queue, idempotency keys and work leases',
    sql: `
      ALTER TABLE runs ADD COLUMN dedupe_key TEXT;
      CREATE UNIQUE INDEX runs_by_dedupe_key ON runs (function_name, dedupe_key) WHERE dedupe_key IS NOT NULL;
      CREATE TABLE run_queue (
        run_id        TEXT    NOT NULL,
        kind          TEXT    NOT NULL,
        function_name TEXT    NOT NULL,
        available_at  BIGINT  NOT NULL,
        lease_owner   TEXT,
        lease_until   BIGINT  NOT NULL DEFAULT 0,
        attempts      INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, kind)
      );
      CREATE INDEX run_queue_due ON run_queue (available_at);
      CREATE INDEX run_queue_leased ON run_queue (lease_until);
      CREATE TABLE leases (
        key   TEXT   NOT NULL PRIMARY KEY,
        owner TEXT   NOT NULL,
        until BIGINT NOT NULL
      );`,
  },
  {
    version: 3,
    description: 'claims read only the waiting and the leased queue entries, each through its own index',
    sql: `
      DROP INDEX run_queue_due;
      DROP INDEX run_queue_leased;
      CREATE INDEX run_queue_waiting ON run_queue (available_at) WHERE lease_owner IS NULL;
      CREATE INDEX run_queue_leased ON run_queue (lease_until) WHERE lease_owner IS NOT NULL;`,
  },
  {
    version: 4,
    description: 'schedule ticks, each claimed once',
    sql: `
      CREATE TABLE schedule_ticks (
        schedule TEXT   NOT NULL,
        tick     BIGINT NOT NULL,
        run_id   TEXT   NOT NULL,
        PRIMARY KEY (schedule, tick)
      );`,
  },
  {
    version: 5,
    description: 'runs listed by the schedule that started them',
    sql: `
      ALTER TABLE runs ADD COLUMN schedule TEXT;
      UPDATE runs SET schedule = json::jsonb ->> 'schedule' WHERE json::jsonb ->> 'schedule' IS NOT NULL;
      CREATE INDEX runs_by_schedule ON runs (schedule, executed_time DESC, seq DESC) WHERE schedule IS NOT NULL;`,
  },
];

/**
 * Brings the database up to the newest schema in one transaction, holding an advisory lock so that gateways
 * starting together never migrate twice. Returns the schema version the database now has.
 */
export async function migratePostgres(client: PoolClient, location: string, migrations = POSTGRES_MIGRATIONS): Promise<number> {
  const latest = migrations.length;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('dispatch.migrate'))");
    await client.query('CREATE TABLE IF NOT EXISTS dispatch_schema (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM dispatch_schema');
    const current = rows[0]?.version ?? 0;
    if (current > latest) {
      throw new StoreVersionError(
        `store ${location} has schema version ${current}, newer than this Dispatch knows (${latest}); ` +
          'upgrade Dispatch or point it at another database',
      );
    }
    for (const migration of migrations.slice(current)) await client.query(migration.sql);
    if (rows.length === 0) await client.query('INSERT INTO dispatch_schema (version) VALUES ($1)', [latest]);
    else await client.query('UPDATE dispatch_schema SET version = $1', [latest]);
    await client.query('COMMIT');
    return latest;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
