import type { EntityByKind, EntityKind, Run, Tag } from '../domain/types.js';

export interface ListFilter {
  /** Only entities carrying every one of these tags. */
  tags?: Tag[];
}

/** The entities of one kind. */
export interface EntityRepository<T> {
  get(name: string): Promise<T | undefined>;
  list(filter?: ListFilter): Promise<T[]>;
  /** Throws ConflictError when the name is taken. */
  insert(entity: T): Promise<void>;
  /**
   * Replaces the stored entity when its revision is still `expectedRevision`, and throws ConflictError
   * otherwise, so that two writers never silently overwrite each other.
   */
  update(entity: T, expectedRevision: number): Promise<void>;
  /** True when something was deleted. */
  delete(name: string): Promise<boolean>;
}

export interface RunListOptions {
  functionName?: string;
  /** Newest first; at most this many. */
  limit?: number;
  /** Skips this many of the newest first: with `limit`, pages through the list. */
  offset?: number;
  /** Only the async runs that failed for good (the dead letters). */
  deadLettered?: boolean;
  /** Only the runs this schedule started (it may since have been deleted: its runs stay). */
  schedule?: string;
}

/** The OFFSET of a list of runs: a non-negative integer, 0 for anything else. */
export function rowsToSkip(offset: number | undefined): number {
  return offset !== undefined && Number.isFinite(offset) && offset > 0 ? Math.floor(offset) : 0;
}

export interface RunRepository {
  insert(run: Run): Promise<void>;
  update(run: Run): Promise<void>;
  get(id: string): Promise<Run | undefined>;
  list(options?: RunListOptions): Promise<Run[]>;
  /** Keeps the newest `keep` runs of a function and deletes the rest; runs still queued are never deleted. */
  prune(functionName: string, keep: number): Promise<void>;
  deleteForFunction(functionName: string): Promise<void>;
}

/** What a queue entry asks for: running the run, or delivering its result to its callback URL. */
export type QueueKind = 'run' | 'callback';

/** One queued piece of work, as a worker holds it. */
export interface QueueEntryKey {
  runId: string;
  kind: QueueKind;
}

/** A claimed queue entry: the run as stored, and how many times the entry has now been claimed (this one included). */
export interface ClaimedEntry extends QueueEntryKey {
  run: Run;
  attempts: number;
}

export interface SubmitOptions {
  /**
   * A key the caller gives so that a retried submission does not run the function twice: when a run of the
   * same function carries the same key, nothing is written and that run is returned.
   */
  dedupeKey?: string;
  /** Unix seconds: a run carrying the key but executed before this no longer counts (the key's window). */
  dedupeSince?: number;
  /**
   * Claims a schedule's tick in the same transaction: when this tick or a later one of the schedule is claimed
   * already (by this gateway or another sharing the store), nothing is written and `created` is false.
   */
  tick?: ScheduleTick;
}

/** One tick of a schedule. */
export interface ScheduleTick {
  schedule: string;
  /** Epoch milliseconds. */
  time: number;
}

export interface ClaimOptions {
  /** Who claims (one id per worker process): only it may settle what it claimed, while its lease lasts. */
  owner: string;
  /** At most this many entries. */
  limit: number;
  /** How long the claim holds unless renewed; an entry whose lease expires can be claimed again. */
  leaseMs: number;
  /** Entries of these functions are left alone (their concurrency is used up). */
  excludeFunctions?: readonly string[];
}

/**
 * The durable queue of async work, kept in the store beside the runs so that a run written before its 202 is
 * never lost: workers claim entries with a lease, renew it while they work, and settle the entry (writing the
 * run) only while they still hold it, so a run's result is written once even if two workers ran it.
 */
export interface RunQueue {
  /** Inserts the run and queues it for running, in one transaction. Answers the stored run (see `dedupeKey`). */
  submit(run: Run, options?: SubmitOptions): Promise<{ run: Run; created: boolean }>;
  /** Claims due entries: never claimed, due again after a back-off, or whose lease expired. Oldest first. */
  claim(options: ClaimOptions): Promise<ClaimedEntry[]>;
  /** Extends the leases `owner` still holds on these entries. */
  renew(owner: string, entries: readonly QueueEntryKey[], leaseMs: number): Promise<void>;
  /**
   * Writes the run and removes the entry, when `owner` still holds it; `next` queues follow-up work on the same
   * run (a retry after a back-off, or the delivery of its callback). False when the lease was lost: someone else
   * owns the entry now and the caller must drop its result.
   */
  settle(owner: string, entry: QueueEntryKey, run: Run, next?: { kind: QueueKind; delayMs: number }): Promise<boolean>;
  /** Gives a claimed entry back without counting the claim as an attempt, due again after `delayMs` (default 0). */
  release(owner: string, entry: QueueEntryKey, delayMs?: number): Promise<void>;
  /** Writes the run and queues it again (a dead letter re-queued); a no-op for the queue if already queued. */
  requeue(run: Run, kind: QueueKind): Promise<void>;
  /** How many entries of this kind are waiting or running. */
  depth(kind: QueueKind): Promise<number>;
  /** Forgets the ticks claimed for a schedule (it was deleted: one created under its name starts afresh). */
  forgetTicks(schedule: string): Promise<void>;
}

/**
 * Time-limited ownership of a named piece of background work (a build, a deploy, a reconciliation), so that
 * several gateways sharing a store never do the same work twice.
 */
export interface LeaseManager {
  /** True when `owner` now holds `key` until `ttlMs` from now (it was free, expired, or already its own). */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<void>;
}

/**
 * A change another process made to an entity (a store shared by several gateways announces them). Without a
 * name, any entity of the kind may have changed: the store missed announcements (its listening connection was
 * lost and is back), so caches of that kind drop everything.
 */
export interface EntityChange {
  kind: EntityKind;
  name?: string;
}

/** Where Dispatch keeps its state. The default is an embedded SQLite file (`openSqliteStore`). */
export interface Store {
  entities<K extends EntityKind>(kind: K): EntityRepository<EntityByKind[K]>;
  readonly runs: RunRepository;
  readonly queue: RunQueue;
  readonly leases: LeaseManager;
  /**
   * Present on stores several processes share: calls `listener` with every entity change made through another
   * open store, so caches can drop what changed. Answers a function that stops listening.
   */
  watchChanges?(listener: (change: EntityChange) => void): () => void;
  close(): Promise<void>;
}
