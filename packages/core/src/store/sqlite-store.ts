import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { EntityByKind, EntityKind, EntityMeta, Run } from '../domain/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { migrate } from './migrations.js';
import { createSqliteLeases, createSqliteRunQueue } from './sqlite-run-queue.js';
import type { EntityRepository, LeaseManager, ListFilter, RunListOptions, RunQueue, RunRepository, Store } from './store.js';
import { rowsToSkip } from './store.js';

/** The file a directory store keeps its state in. */
export const SQLITE_STORE_FILE = 'dispatch.db';

/** Milliseconds a writer waits for another process's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
const DEFAULT_RUN_LIMIT = 100;

/**
 * Opens (and creates or migrates) the embedded SQLite store: `location` is a data directory, created if
 * needed, holding `dispatch.db`; or `':memory:'` for a store that lives as long as the process.
 * Throws StoreVersionError when the file was written by a newer Dispatch.
 */
export function openSqliteStore(location: string): Store {
  const db = new Database(prepareFile(location), { timeout: BUSY_TIMEOUT_MS });
  try {
    // WAL lets the gateway's readers run while a run is written; NORMAL is durable across a process crash
    // in WAL mode and only risks the last commits on a power loss, which run history can afford.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, location);
    return new SqliteStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

function prepareFile(location: string): string {
  if (location === ':memory:') return location;
  // The store holds secrets, so a directory or file it creates is readable by its owner only.
  mkdirSync(location, { recursive: true, mode: 0o700 });
  const file = join(location, SQLITE_STORE_FILE);
  closeSync(openSync(file, 'a', 0o600));
  return file;
}

interface EntityRow {
  json: string;
}

/** Statements prepared once at open: preparing is far costlier than running, and runs are written per call. */
function prepareStatements(db: SqliteDatabase) {
  return {
    entityGet: db.prepare<[string, string], EntityRow>('SELECT json FROM entities WHERE kind = ? AND name = ?'),
    entityRevision: db.prepare<[string, string], { revision: number }>('SELECT revision FROM entities WHERE kind = ? AND name = ?'),
    // Every filter tag must appear among the entity's tags: "no filter tag is missing". Doing it in SQL keeps
    // one statement for any number of tags; `IS` so that a tag without a value still matches itself.
    entityList: db.prepare<[string, string], EntityRow>(`
      SELECT json FROM entities AS e
      WHERE kind = ? AND NOT EXISTS (
        SELECT 1 FROM json_each(?) AS wanted
        WHERE NOT EXISTS (
          SELECT 1 FROM json_each(e.json, '$.tags') AS tag
          WHERE json_extract(tag.value, '$.key') IS json_extract(wanted.value, '$.key')
            AND json_extract(tag.value, '$.value') IS json_extract(wanted.value, '$.value')))
      ORDER BY name`),
    entityInsert: db.prepare(`
      INSERT INTO entities (kind, name, id, revision, json, created, modified)
      VALUES (@kind, @name, @id, @revision, @json, @created, @modified)
      ON CONFLICT (kind, name) DO NOTHING`),
    entityUpdate: db.prepare(`
      UPDATE entities SET id = @id, revision = @revision, json = @json, created = @created, modified = @modified
      WHERE kind = @kind AND name = @name AND revision = @expectedRevision`),
    entityDelete: db.prepare<[string, string]>('DELETE FROM entities WHERE kind = ? AND name = ?'),

    runInsert: db.prepare(`
      INSERT INTO runs (id, function_name, executed_time, json, schedule) VALUES (@id, @functionName, @executedTime, @json, @schedule)
      ON CONFLICT (id) DO NOTHING`),
    runUpdate: db.prepare(`
      UPDATE runs SET function_name = @functionName, executed_time = @executedTime, json = @json, schedule = @schedule WHERE id = @id`),
    runGet: db.prepare<[string], EntityRow>('SELECT json FROM runs WHERE id = ?'),
    runListAll: db.prepare<[number, number], EntityRow>('SELECT json FROM runs ORDER BY executed_time DESC, rowid DESC LIMIT ? OFFSET ?'),
    runListForFunction: db.prepare<[string, number, number], EntityRow>(
      'SELECT json FROM runs WHERE function_name = ? ORDER BY executed_time DESC, rowid DESC LIMIT ? OFFSET ?',
    ),
    runListDeadLetters: db.prepare<[{ functionName: string | null; limit: number; offset: number }], EntityRow>(`
      SELECT json FROM runs WHERE json_extract(json, '$.deadLettered') = 1 AND (@functionName IS NULL OR function_name = @functionName)
      ORDER BY executed_time DESC, rowid DESC LIMIT @limit OFFSET @offset`),
    runListForSchedule: db.prepare<
      [{ functionName: string | null; schedule: string; deadLettered: number; limit: number; offset: number }],
      EntityRow
    >(`
      SELECT json FROM runs WHERE schedule = @schedule
        AND (@functionName IS NULL OR function_name = @functionName)
        AND (@deadLettered = 0 OR json_extract(json, '$.deadLettered') = 1)
      ORDER BY executed_time DESC, rowid DESC LIMIT @limit OFFSET @offset`),
    // Queued runs are work still to do, not history: pruning never deletes them.
    runPrune: db.prepare<[string, string, number]>(`
      DELETE FROM runs WHERE function_name = ? AND rowid IN (
        SELECT rowid FROM runs WHERE function_name = ? ORDER BY executed_time DESC, rowid DESC LIMIT -1 OFFSET ?)
        AND id NOT IN (SELECT run_id FROM run_queue)`),
    runDeleteForFunction: db.prepare<[string]>('DELETE FROM runs WHERE function_name = ?'),
    queueDeleteForFunction: db.prepare<[string]>('DELETE FROM run_queue WHERE function_name = ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

class SqliteStore implements Store {
  readonly runs: RunRepository;
  readonly queue: RunQueue;
  readonly leases: LeaseManager;
  private readonly statements: Statements;
  private readonly repositories = new Map<EntityKind, EntityRepository<EntityMeta>>();

  constructor(private readonly db: SqliteDatabase) {
    this.statements = prepareStatements(db);
    const runs = new SqliteRunRepository(db, this.statements);
    this.runs = runs;
    this.queue = createSqliteRunQueue(db, () => runs.flush());
    this.leases = createSqliteLeases(db);
  }

  entities<K extends EntityKind>(kind: K): EntityRepository<EntityByKind[K]> {
    let repository = this.repositories.get(kind);
    if (!repository) {
      repository = new SqliteEntityRepository(kind, this.statements);
      this.repositories.set(kind, repository);
    }
    return repository as EntityRepository<EntityByKind[K]>;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    (this.runs as SqliteRunRepository).flush();
    this.db.close();
  }
}

class SqliteEntityRepository<T extends EntityMeta> implements EntityRepository<T> {
  constructor(
    private readonly kind: EntityKind,
    private readonly statements: Statements,
  ) {}

  async get(name: string): Promise<T | undefined> {
    const row = this.statements.entityGet.get(this.kind, name);
    return row ? (JSON.parse(row.json) as T) : undefined;
  }

  async list(filter: ListFilter = {}): Promise<T[]> {
    const tags = JSON.stringify(filter.tags ?? []);
    return this.statements.entityList.all(this.kind, tags).map((row) => JSON.parse(row.json) as T);
  }

  async insert(entity: T): Promise<void> {
    const { changes } = this.statements.entityInsert.run(this.row(entity));
    if (changes === 0) throw new ConflictError(`${this.kind} "${entity.name}" already exists`);
  }

  async update(entity: T, expectedRevision: number): Promise<void> {
    const { changes } = this.statements.entityUpdate.run({ ...this.row(entity), expectedRevision });
    if (changes > 0) return;
    const stored = this.statements.entityRevision.get(this.kind, entity.name);
    if (!stored) throw new NotFoundError(`${this.kind} "${entity.name}" not found`);
    throw new ConflictError(
      `${this.kind} "${entity.name}" was changed by someone else ` +
        `(revision ${stored.revision}, expected ${expectedRevision}); get it again and retry`,
    );
  }

  async delete(name: string): Promise<boolean> {
    return this.statements.entityDelete.run(this.kind, name).changes > 0;
  }

  private row(entity: T) {
    return {
      kind: this.kind,
      name: entity.name,
      id: entity.id,
      revision: entity.revision,
      json: JSON.stringify(entity),
      created: entity.createdTime,
      modified: entity.modifiedTime,
    };
  }
}

type RunRow = ReturnType<typeof runRow>;

/**
 * Runs are written on every function call, so inserts are batched: the rows that arrive within one turn of
 * the event loop are written in one transaction (one commit instead of one per run), and each `insert`
 * resolves once its row is committed. Every read flushes first, so readers never miss a run.
 */
class SqliteRunRepository implements RunRepository {
  private pending: { row: RunRow; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private readonly insertBatch: (rows: RunRow[]) => void;

  constructor(
    db: SqliteDatabase,
    private readonly statements: Statements,
  ) {
    this.insertBatch = db.transaction((rows: RunRow[]) => {
      for (const row of rows) {
        const { changes } = statements.runInsert.run(row);
        if (changes === 0) throw new ConflictError(`run "${row.id}" already exists`);
      }
    });
  }

  insert(run: Run): Promise<void> {
    // The row is serialised now: the caller may go on changing the run object.
    const row = runRow(run);
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ row, resolve, reject });
    });
  }

  /** Writes the waiting inserts now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.insertBatch(batch.map((entry) => entry.row));
      for (const entry of batch) entry.resolve();
    } catch {
      // One bad row must not lose the others: write them one by one and fail only the bad ones.
      for (const entry of batch) {
        try {
          this.insertBatch([entry.row]);
          entry.resolve();
        } catch (error) {
          entry.reject(error);
        }
      }
    }
  }

  async update(run: Run): Promise<void> {
    this.flush();
    const { changes } = this.statements.runUpdate.run(runRow(run));
    if (changes === 0) throw new NotFoundError(`run "${run.id}" not found`);
  }

  async get(id: string): Promise<Run | undefined> {
    this.flush();
    const row = this.statements.runGet.get(id);
    return row ? (JSON.parse(row.json) as Run) : undefined;
  }

  async list(options: RunListOptions = {}): Promise<Run[]> {
    this.flush();
    const limit = rowCount(options.limit ?? DEFAULT_RUN_LIMIT);
    const offset = rowsToSkip(options.offset);
    if (options.schedule !== undefined) {
      const { functionName = null, schedule, deadLettered } = options;
      return this.statements.runListForSchedule
        .all({ functionName, schedule, deadLettered: deadLettered ? 1 : 0, limit, offset })
        .map((row) => JSON.parse(row.json) as Run);
    }
    if (options.deadLettered) {
      return this.statements.runListDeadLetters
        .all({ functionName: options.functionName ?? null, limit, offset })
        .map((row) => JSON.parse(row.json) as Run);
    }
    const rows =
      options.functionName === undefined
        ? this.statements.runListAll.all(limit, offset)
        : this.statements.runListForFunction.all(options.functionName, limit, offset);
    return rows.map((row) => JSON.parse(row.json) as Run);
  }

  async prune(functionName: string, keep: number): Promise<void> {
    // Keeping "all" or a count that is not a number must never turn into deleting everything.
    if (Number.isNaN(keep) || keep === Infinity) return;
    this.flush();
    this.statements.runPrune.run(functionName, functionName, Math.max(0, Math.floor(keep)));
  }

  async deleteForFunction(functionName: string): Promise<void> {
    this.flush();
    this.statements.runDeleteForFunction.run(functionName);
    this.statements.queueDeleteForFunction.run(functionName);
  }
}

function runRow(run: Run) {
  const { id, functionName, executedTime, schedule = null } = run;
  return { id, functionName, executedTime, json: JSON.stringify(run), schedule };
}

/** A LIMIT SQLite can bind: a non-negative integer, -1 (no limit) for Infinity, 0 for anything else. */
function rowCount(n: number): number {
  if (n === Infinity) return -1;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
