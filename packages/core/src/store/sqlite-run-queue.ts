import type { Database } from 'better-sqlite3';
import type { Run } from '../domain/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { ClaimedEntry, ClaimOptions, LeaseManager, QueueEntryKey, QueueKind, RunQueue, SubmitOptions } from './store.js';

interface QueueRow {
  run_id: string;
  kind: QueueKind;
  attempts: number;
  json: string;
}

/**
 * The run queue on SQLite. Each operation is one immediate transaction, so two processes sharing the file (or
 * a worker and a request in this one) never claim the same entry. `flush` writes the run repository's batched
 * inserts first, so the queue never refers to a run that is not written yet.
 */
export function createSqliteRunQueue(db: Database, flush: () => void): RunQueue {
  const statements = {
    runInsert: db.prepare(`
      INSERT INTO runs (id, function_name, executed_time, json, dedupe_key, schedule)
      VALUES (@id, @functionName, @executedTime, @json, @dedupeKey, @schedule) ON CONFLICT DO NOTHING`),
    runByKey: db.prepare<[string, string], { json: string; executed_time: number }>(
      'SELECT json, executed_time FROM runs WHERE function_name = ? AND dedupe_key = ?',
    ),
    // The key's window has passed: the old run keeps its history but no longer holds the key.
    forgetKey: db.prepare<[string, string]>('UPDATE runs SET dedupe_key = NULL WHERE function_name = ? AND dedupe_key = ?'),
    runUpdate: db.prepare<[string, string]>('UPDATE runs SET json = ? WHERE id = ?'),
    enqueue: db.prepare(`
      INSERT INTO run_queue (run_id, kind, function_name, available_at) VALUES (@runId, @kind, @functionName, @availableAt)
      ON CONFLICT (run_id, kind) DO NOTHING`),
    // Two index range scans (waiting entries that are due, and expired leases), each stopping at the limit, so a
    // claim costs the same with ten entries queued or a hundred thousand.
    due: db.prepare<{ now: number; exclude: string; limit: number }, QueueRow>(`
      SELECT q.run_id, q.kind, q.attempts, r.json FROM (
        SELECT * FROM (
          SELECT run_id, kind, attempts, available_at FROM run_queue INDEXED BY run_queue_waiting
          WHERE lease_owner IS NULL AND available_at <= @now AND function_name NOT IN (SELECT value FROM json_each(@exclude))
          ORDER BY available_at LIMIT @limit)
        UNION ALL
        SELECT * FROM (
          SELECT run_id, kind, attempts, available_at FROM run_queue INDEXED BY run_queue_leased
          WHERE lease_owner IS NOT NULL AND lease_until < @now AND function_name NOT IN (SELECT value FROM json_each(@exclude))
          ORDER BY lease_until LIMIT @limit)
      ) AS q JOIN runs AS r ON r.id = q.run_id
      ORDER BY q.available_at LIMIT @limit`),
    lease: db.prepare<[string, number, string, string]>(
      'UPDATE run_queue SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE run_id = ? AND kind = ?',
    ),
    renew: db.prepare<[number, string, string, string]>(
      'UPDATE run_queue SET lease_until = ? WHERE lease_owner = ? AND run_id = ? AND kind = ?',
    ),
    remove: db.prepare<[string, string, string]>('DELETE FROM run_queue WHERE run_id = ? AND kind = ? AND lease_owner = ?'),
    reschedule: db.prepare<[number, string, string, string]>(`
      UPDATE run_queue SET available_at = ?, lease_owner = NULL, lease_until = 0
      WHERE run_id = ? AND kind = ? AND lease_owner = ?`),
    release: db.prepare<[number, string, string, string]>(`
      UPDATE run_queue SET available_at = max(available_at, ?), lease_owner = NULL, lease_until = 0, attempts = attempts - 1
      WHERE run_id = ? AND kind = ? AND lease_owner = ?`),
    depth: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM run_queue WHERE kind = ?'),
    // A tick at or before the schedule's newest claim is refused, so only the newest claim needs keeping.
    claimTick: db.prepare<{ schedule: string; tick: number; runId: string }>(`
      INSERT INTO schedule_ticks (schedule, tick, run_id) SELECT @schedule, @tick, @runId
      WHERE NOT EXISTS (SELECT 1 FROM schedule_ticks WHERE schedule = @schedule AND tick >= @tick)`),
    olderTicks: db.prepare<[string, number]>('DELETE FROM schedule_ticks WHERE schedule = ? AND tick < ?'),
    forgetTicks: db.prepare<[string]>('DELETE FROM schedule_ticks WHERE schedule = ?'),
  };

  const submit = db.transaction((run: Run, options: SubmitOptions): { run: Run; created: boolean } => {
    const tick = options.tick;
    if (tick) {
      if (statements.claimTick.run({ schedule: tick.schedule, tick: tick.time, runId: run.id }).changes === 0)
        return { run, created: false };
      statements.olderTicks.run(tick.schedule, tick.time);
    }
    const key = options.dedupeKey;
    if (key !== undefined) {
      const existing = statements.runByKey.get(run.functionName, key);
      if (existing && existing.executed_time >= (options.dedupeSince ?? 0)) {
        return { run: JSON.parse(existing.json) as Run, created: false };
      }
      if (existing) statements.forgetKey.run(run.functionName, key);
    }
    const row = {
      id: run.id,
      functionName: run.functionName,
      executedTime: run.executedTime,
      json: JSON.stringify(run),
      dedupeKey: key ?? null,
      schedule: run.schedule ?? null,
    };
    if (statements.runInsert.run(row).changes === 0) throw new ConflictError(`run "${run.id}" already exists`);
    statements.enqueue.run({ runId: run.id, kind: 'run', functionName: run.functionName, availableAt: Date.now() });
    return { run, created: true };
  });

  const claim = db.transaction((options: ClaimOptions): ClaimedEntry[] => {
    const now = Date.now();
    const rows = statements.due.all({ now, exclude: JSON.stringify(options.excludeFunctions ?? []), limit: options.limit });
    return rows.map((row) => {
      statements.lease.run(options.owner, now + options.leaseMs, row.run_id, row.kind);
      return { runId: row.run_id, kind: row.kind, attempts: row.attempts + 1, run: JSON.parse(row.json) as Run };
    });
  });

  const settle = db.transaction((owner: string, entry: QueueEntryKey, run: Run, next?: { kind: QueueKind; delayMs: number }) => {
    const availableAt = Date.now() + (next?.delayMs ?? 0);
    if (next?.kind === entry.kind) {
      if (statements.reschedule.run(availableAt, entry.runId, entry.kind, owner).changes === 0) return false;
    } else {
      if (statements.remove.run(entry.runId, entry.kind, owner).changes === 0) return false;
      if (next) statements.enqueue.run({ runId: run.id, kind: next.kind, functionName: run.functionName, availableAt });
    }
    statements.runUpdate.run(JSON.stringify(run), run.id);
    return true;
  });

  const requeue = db.transaction((run: Run, kind: QueueKind) => {
    if (statements.runUpdate.run(JSON.stringify(run), run.id).changes === 0) throw new NotFoundError(`run "${run.id}" not found`);
    statements.enqueue.run({ runId: run.id, kind, functionName: run.functionName, availableAt: Date.now() });
  });

  return {
    async submit(run, options = {}) {
      flush();
      return submit.immediate(run, options);
    },
    async claim(options) {
      flush();
      return claim.immediate(options);
    },
    async renew(owner, entries, leaseMs) {
      const until = Date.now() + leaseMs;
      for (const entry of entries) statements.renew.run(until, owner, entry.runId, entry.kind);
    },
    async settle(owner, entry, run, next) {
      return settle.immediate(owner, entry, run, next);
    },
    async release(owner, entry, delayMs = 0) {
      statements.release.run(Date.now() + delayMs, entry.runId, entry.kind, owner);
    },
    async requeue(run, kind) {
      flush();
      requeue.immediate(run, kind);
    },
    async depth(kind) {
      return statements.depth.get(kind)?.n ?? 0;
    },
    async forgetTicks(schedule) {
      statements.forgetTicks.run(schedule);
    },
  };
}

/** Work leases on SQLite: an upsert that takes the key only when it is free, expired, or already the owner's. */
export function createSqliteLeases(db: Database): LeaseManager {
  const acquire = db.prepare<[string, string, number, number]>(`
    INSERT INTO leases (key, owner, until) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until = excluded.until
    WHERE leases.owner = excluded.owner OR leases.until < ?`);
  const release = db.prepare<[string, string]>('DELETE FROM leases WHERE key = ? AND owner = ?');
  return {
    async acquire(key, owner, ttlMs) {
      const now = Date.now();
      return acquire.run(key, owner, now + ttlMs, now).changes > 0;
    },
    async release(key, owner) {
      release.run(key, owner);
    },
  };
}
