import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { EntityByKind, EntityKind, EntityMeta, Run } from '../domain/types.js';
import { ConflictError, DispatchError, NotFoundError, UnavailableError } from '../errors.js';
import { migratePostgres } from './postgres-migrations.js';
import { createPostgresLeases, createPostgresRunQueue } from './postgres-run-queue.js';
import type { EntityChange, EntityRepository, ListFilter, RunListOptions, RunRepository, Store } from './store.js';
import { rowsToSkip } from './store.js';

const DEFAULT_RUN_LIMIT = 100;
/** Every kind of entity (the type checks that none is missing). */
const ENTITY_KINDS = Object.keys({
  baseimage: true,
  image: true,
  function: true,
  secret: true,
  endpoint: true,
  schedule: true,
} satisfies Record<EntityKind, true>) as EntityKind[];
/** The channel on which stores sharing a database announce entity changes to each other. */
const CHANGES_CHANNEL = 'dispatch_entity_changes';

export interface PostgresStoreOptions {
  /** Connections kept open at most (default 10). */
  maxConnections?: number;
  /**
   * How long opening the store waits for a database that cannot be reached yet (default 60 s): a gateway often
   * starts beside its database (a Swarm stack, a Helm release) and must not exit because it came up first.
   */
  startWaitMs?: number;
}

/** A first connection that takes longer than this is given up and tried again (a dropped SYN never answers). */
const CONNECT_TIMEOUT_MS = 10_000;
/** Errors of a database that is not there yet: a name not in DNS yet, a port not open yet, a server starting up. */
const NOT_YET = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', '57P03']);

/**
 * Opens (and creates or migrates) the PostgreSQL store at `url` (`postgres://user:password@host:port/db`).
 * Several gateways may share one database: entity updates stay revision-checked, the run queue hands each
 * entry to one worker at a time, and entity changes are announced with NOTIFY. `pg` is loaded here, on first
 * use, so that SQLite users never load it. Throws StoreVersionError when the schema is newer than this Dispatch.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // A peer or a database gone without a FIN (a killed node) is noticed by TCP keep-alive, not never.
    keepAlive: true,
  });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const location = redact(url);
  try {
    const client = await firstConnection(pool, options.startWaitMs ?? 60_000);
    try {
      await migratePostgres(client, location);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (DispatchError.isInstance(error)) throw error;
    throw new UnavailableError(`cannot open the PostgreSQL store at ${location}: ${(error as Error).message}`, { cause: error });
  }
  return new PostgresStore(pool);
}

/** The pool's first connection, tried again with back-off while the database is not reachable yet. */
async function firstConnection(pool: Pool, waitMs: number): Promise<PoolClient> {
  const giveUpAt = Date.now() + waitMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const attemptStarted = Date.now();
    try {
      return await pool.connect();
    } catch (error) {
      const code = (error as { code?: string }).code;
      // pg marks a connection timeout by its message only: told here by the attempt's length instead.
      const timedOut = Date.now() - attemptStarted >= CONNECT_TIMEOUT_MS;
      if (!(timedOut || (code !== undefined && NOT_YET.has(code))) || Date.now() + delay > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

class PostgresStore implements Store {
  readonly runs: RunRepository;
  readonly queue;
  readonly leases;
  /** Tells this store's own announcements from other stores'. */
  private readonly origin = randomUUID();
  private readonly repositories = new Map<EntityKind, EntityRepository<EntityMeta>>();
  private listeners = new Set<(change: EntityChange) => void>();
  private listener: Promise<PoolClient> | undefined;

  constructor(private readonly pool: Pool) {
    this.runs = new PostgresRunRepository(pool);
    this.queue = createPostgresRunQueue(pool);
    this.leases = createPostgresLeases(pool);
  }

  entities<K extends EntityKind>(kind: K): EntityRepository<EntityByKind[K]> {
    let repository = this.repositories.get(kind);
    if (!repository) {
      repository = new PostgresEntityRepository(kind, this.pool, (name) => this.announce(kind, name));
      this.repositories.set(kind, repository);
    }
    return repository as EntityRepository<EntityByKind[K]>;
  }

  watchChanges(listener: (change: EntityChange) => void): () => void {
    this.listeners.add(listener);
    this.listener ??= this.listen();
    return () => this.listeners.delete(listener);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listening = this.listener;
    this.listener = undefined;
    if (listening) (await listening.catch(() => undefined))?.release(true);
    await this.pool.end();
  }

  /**
   * One connection of the pool stays LISTENing for the others' announcements. When the server ends it (a restart,
   * a failover, pg_terminate_backend) it is listened for again on a new connection, after a back-off while the
   * server is away. Announcements made in between are lost, so the listeners are then told that any entity may
   * have changed.
   */
  private async listen(missed = false): Promise<PoolClient> {
    if (this.closed) throw new Error('the store is closed');
    const client = await this.pool.connect();
    let ended = false;
    client.on('error', () => {
      if (ended) return;
      ended = true;
      client.release(true);
      if (!this.closed) this.listenAgain(100);
    });
    client.on('notification', (message) => {
      if (!message.payload) return;
      const { origin, kind, name } = JSON.parse(message.payload) as EntityChange & { origin: string };
      if (origin === this.origin) return;
      for (const listener of this.listeners) listener({ kind, name });
    });
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    if (missed) for (const kind of ENTITY_KINDS) for (const listener of this.listeners) listener({ kind });
    return client;
  }

  private listenAgain(delayMs: number): void {
    const listening = new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => this.listen(true));
    this.listener = listening;
    listening.catch(() => {
      if (!this.closed && this.listener === listening) this.listenAgain(Math.min(delayMs * 2, 5000));
    });
  }

  private async announce(kind: EntityKind, name: string): Promise<void> {
    const payload = JSON.stringify({ origin: this.origin, kind, name });
    await this.pool.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, payload]);
  }
}

class PostgresEntityRepository<T extends EntityMeta> implements EntityRepository<T> {
  constructor(
    private readonly kind: EntityKind,
    private readonly pool: Pool,
    private readonly announce: (name: string) => Promise<void>,
  ) {}

  async get(name: string): Promise<T | undefined> {
    const { rows } = await this.pool.query<{ json: string }>('SELECT json FROM entities WHERE kind = $1 AND name = $2', [this.kind, name]);
    return rows[0] ? (JSON.parse(rows[0].json) as T) : undefined;
  }

  async list(filter: ListFilter = {}): Promise<T[]> {
    // Each wanted tag must be among the entity's tags; a wanted tag without a value matches a tag without one.
    const wanted = (filter.tags ?? []).map((tag) => ({ key: tag.key, value: tag.value ?? null }));
    const { rows } = await this.pool.query<{ json: string }>(
      `SELECT json FROM entities AS e WHERE kind = $1 AND NOT EXISTS (
         SELECT 1 FROM jsonb_array_elements($2::jsonb) AS w WHERE NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(coalesce(e.json::jsonb -> 'tags', '[]'::jsonb)) AS t
           WHERE (t -> 'key') IS NOT DISTINCT FROM (w -> 'key')
             AND coalesce(t -> 'value', 'null'::jsonb) = (w -> 'value')))
       ORDER BY name COLLATE "C"`,
      [this.kind, JSON.stringify(wanted)],
    );
    return rows.map((row) => JSON.parse(row.json) as T);
  }

  async insert(entity: T): Promise<void> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO entities (kind, name, id, revision, json, created, modified) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (kind, name) DO NOTHING`,
      [this.kind, entity.name, entity.id, entity.revision, JSON.stringify(entity), entity.createdTime, entity.modifiedTime],
    );
    if (rowCount === 0) throw new ConflictError(`${this.kind} "${entity.name}" already exists`);
    await this.announce(entity.name);
  }

  async update(entity: T, expectedRevision: number): Promise<void> {
    const { rowCount } = await this.pool.query(
      `UPDATE entities SET id = $3, revision = $4, json = $5, created = $6, modified = $7
       WHERE kind = $1 AND name = $2 AND revision = $8`,
      [
        this.kind,
        entity.name,
        entity.id,
        entity.revision,
        JSON.stringify(entity),
        entity.createdTime,
        entity.modifiedTime,
        expectedRevision,
      ],
    );
    if (rowCount && rowCount > 0) {
      await this.announce(entity.name);
      return;
    }
    const { rows } = await this.pool.query<{ revision: number }>('SELECT revision FROM entities WHERE kind = $1 AND name = $2', [
      this.kind,
      entity.name,
    ]);
    if (!rows[0]) throw new NotFoundError(`${this.kind} "${entity.name}" not found`);
    throw new ConflictError(
      `${this.kind} "${entity.name}" was changed by someone else ` +
        `(revision ${rows[0].revision}, expected ${expectedRevision}); get it again and retry`,
    );
  }

  async delete(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM entities WHERE kind = $1 AND name = $2', [this.kind, name]);
    if (!rowCount) return false;
    await this.announce(name);
    return true;
  }
}

class PostgresRunRepository implements RunRepository {
  constructor(private readonly pool: Pool) {}

  async insert(run: Run): Promise<void> {
    const { rowCount } = await this.pool.query(
      'INSERT INTO runs (id, function_name, executed_time, json, schedule) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [run.id, run.functionName, run.executedTime, JSON.stringify(run), run.schedule ?? null],
    );
    if (rowCount === 0) throw new ConflictError(`run "${run.id}" already exists`);
  }

  async update(run: Run): Promise<void> {
    const { rowCount } = await this.pool.query(
      'UPDATE runs SET function_name = $2, executed_time = $3, json = $4, schedule = $5 WHERE id = $1',
      [run.id, run.functionName, run.executedTime, JSON.stringify(run), run.schedule ?? null],
    );
    if (rowCount === 0) throw new NotFoundError(`run "${run.id}" not found`);
  }

  async get(id: string): Promise<Run | undefined> {
    const { rows } = await this.pool.query<{ json: string }>('SELECT json FROM runs WHERE id = $1', [id]);
    return rows[0] ? (JSON.parse(rows[0].json) as Run) : undefined;
  }

  async list(options: RunListOptions = {}): Promise<Run[]> {
    const limit = options.limit ?? DEFAULT_RUN_LIMIT;
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (options.functionName !== undefined) {
      values.push(options.functionName);
      conditions.push(`function_name = $${values.length}`);
    }
    if (options.deadLettered) conditions.push(`(json::jsonb ->> 'deadLettered') = 'true'`);
    if (options.schedule !== undefined) {
      values.push(options.schedule);
      conditions.push(`schedule = $${values.length}`);
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    // LIMIT ALL for Infinity; nothing for a limit that is not a positive number.
    const limitClause = limit === Infinity ? '' : `LIMIT ${Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0}`;
    const { rows } = await this.pool.query<{ json: string }>(
      `SELECT json FROM runs ${where} ORDER BY executed_time DESC, seq DESC ${limitClause} OFFSET ${rowsToSkip(options.offset)}`,
      values,
    );
    return rows.map((row) => JSON.parse(row.json) as Run);
  }

  async prune(functionName: string, keep: number): Promise<void> {
    if (Number.isNaN(keep) || keep === Infinity) return;
    await this.pool.query(
      `DELETE FROM runs WHERE function_name = $1 AND seq IN (
         SELECT seq FROM runs WHERE function_name = $1 ORDER BY executed_time DESC, seq DESC OFFSET $2)
         AND id NOT IN (SELECT run_id FROM run_queue)`,
      [functionName, Math.max(0, Math.floor(keep))],
    );
  }

  async deleteForFunction(functionName: string): Promise<void> {
    await this.pool.query('DELETE FROM run_queue WHERE function_name = $1', [functionName]);
    await this.pool.query('DELETE FROM runs WHERE function_name = $1', [functionName]);
  }
}
