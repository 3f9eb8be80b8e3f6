import type { Pool, PoolClient } from 'pg';
import type { Run } from '../domain/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { ClaimedEntry, LeaseManager, QueueKind, RunQueue } from './store.js';

async function transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection the server ends between two statements (a restart, a failover) emits its error on the client,
  // which would end the process unheard; the next statement fails with it, and the client is destroyed on release.
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

const ENQUEUE = `INSERT INTO run_queue (run_id, kind, function_name, available_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (run_id, kind) DO NOTHING`;

/**
 * The run queue on PostgreSQL, shared by every gateway on the database. A claim takes due rows with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on each other nor take the same entry; a settle
 * writes only while the settling worker still holds the lease.
 */
export function createPostgresRunQueue(pool: Pool): RunQueue {
  return {
    submit: (run, options = {}) =>
      transaction(pool, async (client) => {
        const tick = options.tick;
        if (tick) {
          // Claims of one schedule take turns, so a late claim of an older tick always sees the newer one and is
          // refused (rather than slipping in while the newer claim deletes the older rows).
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dispatch.schedule/${tick.schedule}`]);
          const { rowCount } = await client.query(
            `INSERT INTO schedule_ticks (schedule, tick, run_id) SELECT $1, $2, $3
             WHERE NOT EXISTS (SELECT 1 FROM schedule_ticks WHERE schedule = $1 AND tick >= $2)
             ON CONFLICT DO NOTHING`,
            [tick.schedule, tick.time, run.id],
          );
          if (!rowCount) return { run, created: false };
          await client.query('DELETE FROM schedule_ticks WHERE schedule = $1 AND tick < $2', [tick.schedule, tick.time]);
        }
        const key = options.dedupeKey;
        if (key !== undefined) {
          // Serialises submissions carrying the same key, so two concurrent ones never both insert.
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${run.functionName}/${key}`]);
          const { rows } = await client.query<{ json: string; executed_time: string }>(
            'SELECT json, executed_time FROM runs WHERE function_name = $1 AND dedupe_key = $2',
            [run.functionName, key],
          );
          const existing = rows[0];
          if (existing && Number(existing.executed_time) >= (options.dedupeSince ?? 0)) {
            return { run: JSON.parse(existing.json) as Run, created: false };
          }
          if (existing)
            await client.query('UPDATE runs SET dedupe_key = NULL WHERE function_name = $1 AND dedupe_key = $2', [run.functionName, key]);
        }
        const { rowCount } = await client.query(
          'INSERT INTO runs (id, function_name, executed_time, json, dedupe_key, schedule) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
          [run.id, run.functionName, run.executedTime, JSON.stringify(run), key ?? null, run.schedule ?? null],
        );
        if (rowCount === 0) throw new ConflictError(`run "${run.id}" already exists`);
        await client.query(ENQUEUE, [run.id, 'run', run.functionName, Date.now()]);
        return { run, created: true };
      }),

    async claim(options) {
      const now = Date.now();
      const { rows } = await pool.query<{ run_id: string; kind: QueueKind; attempts: number; json: string }>(
        // Waiting entries that are due, then expired leases: each an index range scan that stops at the limit.
        `WITH waiting AS (
           SELECT run_id, kind FROM run_queue
           WHERE lease_owner IS NULL AND available_at <= $1 AND NOT (function_name = ANY($2::text[]))
           ORDER BY available_at LIMIT $3 FOR UPDATE SKIP LOCKED),
         expired AS (
           SELECT run_id, kind FROM run_queue
           WHERE lease_owner IS NOT NULL AND lease_until < $1 AND NOT (function_name = ANY($2::text[]))
           ORDER BY lease_until LIMIT $3 FOR UPDATE SKIP LOCKED),
         due AS (SELECT * FROM waiting UNION ALL SELECT * FROM expired LIMIT $3)
         UPDATE run_queue AS q SET lease_owner = $4, lease_until = $5, attempts = q.attempts + 1
         FROM due, runs AS r WHERE q.run_id = due.run_id AND q.kind = due.kind AND r.id = q.run_id
         RETURNING q.run_id, q.kind, q.attempts, r.json`,
        [now, options.excludeFunctions ?? [], options.limit, options.owner, now + options.leaseMs],
      );
      return rows.map((row): ClaimedEntry => ({
        runId: row.run_id,
        kind: row.kind,
        attempts: row.attempts,
        run: JSON.parse(row.json) as Run,
      }));
    },

    async renew(owner, entries, leaseMs) {
      if (entries.length === 0) return;
      await pool.query(
        `UPDATE run_queue SET lease_until = $1 WHERE lease_owner = $2
         AND (run_id, kind) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
        [Date.now() + leaseMs, owner, entries.map((e) => e.runId), entries.map((e) => e.kind)],
      );
    },

    settle: (owner, entry, run, next) =>
      transaction(pool, async (client) => {
        const availableAt = Date.now() + (next?.delayMs ?? 0);
        if (next?.kind === entry.kind) {
          const { rowCount } = await client.query(
            `UPDATE run_queue SET available_at = $1, lease_owner = NULL, lease_until = 0
             WHERE run_id = $2 AND kind = $3 AND lease_owner = $4`,
            [availableAt, entry.runId, entry.kind, owner],
          );
          if (!rowCount) return false;
        } else {
          const { rowCount } = await client.query('DELETE FROM run_queue WHERE run_id = $1 AND kind = $2 AND lease_owner = $3', [
            entry.runId,
            entry.kind,
            owner,
          ]);
          if (!rowCount) return false;
          if (next) await client.query(ENQUEUE, [run.id, next.kind, run.functionName, availableAt]);
        }
        await client.query('UPDATE runs SET json = $1 WHERE id = $2', [JSON.stringify(run), run.id]);
        return true;
      }),

    async release(owner, entry, delayMs = 0) {
      await pool.query(
        `UPDATE run_queue SET available_at = GREATEST(available_at, $4), lease_owner = NULL, lease_until = 0, attempts = attempts - 1
         WHERE run_id = $1 AND kind = $2 AND lease_owner = $3`,
        [entry.runId, entry.kind, owner, Date.now() + delayMs],
      );
    },

    requeue: (run, kind) =>
      transaction(pool, async (client) => {
        const { rowCount } = await client.query('UPDATE runs SET json = $1 WHERE id = $2', [JSON.stringify(run), run.id]);
        if (!rowCount) throw new NotFoundError(`run "${run.id}" not found`);
        await client.query(ENQUEUE, [run.id, kind, run.functionName, Date.now()]);
      }),

    async depth(kind) {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM run_queue WHERE kind = $1', [kind]);
      return rows[0]?.n ?? 0;
    },

    async forgetTicks(schedule) {
      await pool.query('DELETE FROM schedule_ticks WHERE schedule = $1', [schedule]);
    },
  };
}

/** Work leases on PostgreSQL: one upsert that takes the key only when it is free, expired, or the owner's. */
export function createPostgresLeases(pool: Pool): LeaseManager {
  return {
    async acquire(key, owner, ttlMs) {
      const now = Date.now();
      const { rowCount } = await pool.query(
        `INSERT INTO leases (key, owner, until) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE leases.owner = excluded.owner OR leases.until < $4`,
        [key, owner, now + ttlMs, now],
      );
      return (rowCount ?? 0) > 0;
    },
    async release(key, owner) {
      await pool.query('DELETE FROM leases WHERE key = $1 AND owner = $2', [key, owner]);
    },
  };
}
