// Longer than most files on purpose: the pool's state (starting, ready and retiring processes, waiting calls,
// restart backoff) changes under one invariant, which is easier to check in one place.
import { rm } from 'node:fs/promises';
import { DeadlineExceededError, UnavailableError } from '@dispatch/core/driver';
import type { DispatchLogger } from '@dispatch/core/driver';
import { ChangeSignal } from './change-signal.js';
import { FunctionProcess, StartFailure } from './function-process.js';
import type { LineListener } from './function-process.js';
import type { LaunchSpec } from './launch-spec.js';
import type { LogBuffer } from './log-buffer.js';

/** Restart delays of a crashing process: 50 ms doubling to 5 s, back to 50 ms after 10 s of uptime. */
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 5000;
const BACKOFF_RESET_UPTIME_MS = 10_000;
/** A process that crashes this many times in a row before ever becoming ready fails the pool. */
const MAX_START_CRASHES = 3;
/** Calls that may wait for a process (all busy, or starting) before the next ones are refused with a 503. */
const MAX_WAITING_CALLS = 1000;

export interface ProcessPoolOptions {
  functionName: string;
  revision: number;
  launch: LaunchSpec;
  startTimeoutMs: number;
  stopGraceMs: number;
  /** Calls in flight on one process at most (the wire connection carries them all at once). */
  maxCallsPerProcess: number;
  /** A pre-warmed process given this revision's function, when one is waiting (see spare-pool.ts). */
  takeSpare?: ((onLine: LineListener) => FunctionProcess | undefined) | undefined;
  logs: LogBuffer;
  logger?: DispatchLogger;
}

/** A place for one process: the supervisor keeps it filled. */
interface Slot {
  process: FunctionProcess | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  backoffMs: number;
  startCrashes: number;
  everReady: boolean;
  removed: boolean;
}

/**
 * The processes of one revision of a function, supervised: a process that exits is restarted with
 * backoff, one whose handler fails to load fails the pool (a restart would fail the same way) until the
 * next deploy. Calls pick the least busy ready process, starting from a rotating position.
 */
export class ProcessPool {
  /** The processes that take calls; read on every call, so kept as a plain array. */
  readonly ready: FunctionProcess[] = [];
  /** Why the pool cannot serve, once it has failed. */
  failure: string | undefined;
  stopped = false;

  private readonly slots: Slot[] = [];
  private readonly slotOf = new Map<FunctionProcess, Slot>();
  private readonly all = new Set<FunctionProcess>();
  private draining = false;
  private next = 0;
  private readonly change = new ChangeSignal();
  private lastExit: string | undefined;
  /** Calls waiting in `acquire`. */
  private waiting = 0;

  constructor(readonly options: ProcessPoolOptions) {}

  get revision(): number {
    return this.options.revision;
  }

  /** How many processes the pool keeps running. */
  get desired(): number {
    return this.slots.length;
  }

  /** Why no process is ready, when none is. */
  get reason(): string | undefined {
    if (this.failure !== undefined) return this.failure;
    if (this.stopped) return 'stopped';
    if (this.ready.length > 0) return undefined;
    const restarting = this.slots.some((slot) => slot.restartTimer !== undefined);
    if (restarting && this.lastExit !== undefined) return `restarting after the function process exited (${this.lastExit})`;
    return 'starting';
  }

  /** Starts `replicas` processes; resolves when all are ready, or when some are once the start timeout passed. */
  async start(replicas: number): Promise<void> {
    await this.scale(replicas);
  }

  /** Grows or shrinks the pool; growing waits for the new processes like `start`. */
  async scale(replicas: number): Promise<void> {
    if (this.failure !== undefined) throw new UnavailableError(this.failure);
    while (this.slots.length > replicas) this.removeSlot(this.slots[this.slots.length - 1] as Slot);
    const added: Slot[] = [];
    while (this.slots.length < replicas) {
      const slot: Slot = {
        process: undefined,
        restartTimer: undefined,
        backoffMs: BACKOFF_BASE_MS,
        startCrashes: 0,
        everReady: false,
        removed: false,
      };
      this.slots.push(slot);
      added.push(slot);
      this.launch(slot);
    }
    if (added.length === 0) return;
    const startedAt = Date.now();
    const settled = (): boolean =>
      this.failure !== undefined ||
      this.stopped ||
      added.every((slot) => slot.everReady || slot.removed) ||
      (Date.now() - startedAt >= this.options.startTimeoutMs && this.ready.length > 0);
    while (!settled()) {
      const left = startedAt + this.options.startTimeoutMs - Date.now();
      // Past the start timeout with nothing ready, only a process becoming ready or the pool failing ends the wait.
      await this.waitForChange(left > 0 ? left : Infinity);
    }
    if (this.failure !== undefined) throw new UnavailableError(this.failure);
  }

  /** A ready process with room for a call: the least busy one, ties broken round-robin. */
  pick(): FunctionProcess | undefined {
    const ready = this.ready;
    const count = ready.length;
    if (count === 0) return undefined;
    let start = this.next;
    if (start >= count) start = 0;
    this.next = start + 1;
    let best = ready[start] as FunctionProcess;
    if (best.inflight !== 0 && count > 1) {
      for (let i = 1; i < count; i++) {
        const candidate = ready[(start + i) % count] as FunctionProcess;
        if (candidate.inflight < best.inflight) {
          best = candidate;
          if (best.inflight === 0) break;
        }
      }
    }
    return best.inflight < this.options.maxCallsPerProcess ? best : undefined;
  }

  /** A ready process, waiting for one to (re)start until the deadline. */
  async acquire(deadline: number, signal: AbortSignal | undefined): Promise<FunctionProcess> {
    for (;;) {
      const process = this.pick();
      if (process !== undefined) return process;
      const name = this.options.functionName;
      if (this.failure !== undefined) throw new UnavailableError(`[local] function "${name}" cannot run: ${this.failure}`);
      if (this.stopped) throw new UnavailableError(`[local] function "${name}" was stopped`);
      if (signal?.aborted) throw new DeadlineExceededError(`[local] the call to "${name}" was aborted`, { cause: signal.reason });
      const left = deadline - Date.now();
      if (left <= 0) throw new UnavailableError(`[local] function "${name}" has no process ready to take the call (${this.busyReason()})`);
      if (this.waiting >= MAX_WAITING_CALLS) {
        throw new UnavailableError(`[local] function "${name}" has ${MAX_WAITING_CALLS} calls waiting already (${this.busyReason()})`);
      }
      this.waiting++;
      try {
        await this.waitForChange(left, signal);
      } finally {
        this.waiting--;
      }
    }
  }

  private busyReason(): string {
    const { length } = this.ready;
    if (length === 0) return this.reason ?? 'starting';
    return `${length === 1 ? 'its process has' : `its ${length} processes have`} ${this.options.maxCallsPerProcess} calls in flight each`;
  }

  /** Ends a call on `process`; a retired process stops once its last call is done. */
  release(process: FunctionProcess): void {
    process.inflight--;
    if (process.retired && process.inflight === 0) void process.stop(this.options.stopGraceMs);
    if (this.draining || this.waiting > 0) this.notify();
  }

  /**
   * Takes a process out of service and starts its replacement at once (no backoff: this is deliberate).
   * `kill`: SIGKILL now (a process stuck past its deadline); otherwise it stops after its last call.
   */
  retire(process: FunctionProcess, kill: boolean): void {
    if (!process.retired) {
      process.retired = true;
      this.removeReady(process);
      const slot = this.slotOf.get(process);
      if (slot !== undefined && slot.process === process) {
        slot.process = undefined;
        this.launch(slot);
      }
    }
    if (kill) process.kill();
    else if (process.inflight === 0) void process.stop(this.options.stopGraceMs);
  }

  /** Waits (at most `maxWaitMs`) for the calls in flight to finish, then stops every process. */
  async drainAndStop(maxWaitMs: number): Promise<void> {
    this.draining = true;
    const until = Date.now() + maxWaitMs;
    while (this.inflight() > 0 && Date.now() < until) await this.waitForChange(until - Date.now());
    await this.stop();
  }

  /** Stops every process (SIGTERM, then SIGKILL after the grace) and cancels pending restarts. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    this.ready.length = 0;
    this.notify();
    await Promise.all([...this.all].map((process) => process.stop(this.options.stopGraceMs)));
    await rm(this.options.launch.socketDir.host, { recursive: true, force: true });
  }

  private inflight(): number {
    let total = 0;
    for (const process of this.all) total += process.inflight;
    return total;
  }

  private launch(slot: Slot): void {
    if (this.stopped || this.failure !== undefined || slot.removed) return;
    const { logs } = this.options;
    const onLine: LineListener = (from, stream, line) => logs.push(stream, line, from.source);
    let process: FunctionProcess;
    try {
      process =
        this.options.takeSpare?.(onLine) ??
        new FunctionProcess({ launch: this.options.launch, startTimeoutMs: this.options.startTimeoutMs, onLine });
    } catch (error) {
      // spawn() itself refused (bad arguments): a restart would fail the same way.
      this.fail(`cannot start a function process: ${error instanceof Error ? error.message : String(error)}`);
      this.notify();
      return;
    }
    slot.process = process;
    this.slotOf.set(process, slot);
    this.all.add(process);
    process.started.then(
      () => this.onReady(slot, process),
      (failure: unknown) => this.onStartFailure(slot, process, failure),
    );
    void process.exited.then(() => this.onExit(slot, process));
  }

  private onReady(slot: Slot, process: FunctionProcess): void {
    if (process.retired || this.stopped || this.failure !== undefined || slot.process !== process) {
      void process.stop(this.options.stopGraceMs);
      return;
    }
    slot.everReady = true;
    slot.startCrashes = 0;
    this.ready.push(process);
    this.notify();
  }

  private onStartFailure(slot: Slot, process: FunctionProcess, failure: unknown): void {
    void process.stop(this.options.stopGraceMs);
    if (process.retired || this.stopped || slot.process !== process) return;
    slot.process = undefined;
    const message = failure instanceof Error ? failure.message : String(failure);
    if (failure instanceof StartFailure && failure.kind === 'crash' && ++slot.startCrashes < MAX_START_CRASHES) {
      this.lastExit = process.describeExit();
      this.scheduleRestart(slot);
    } else {
      this.fail(message);
    }
    this.notify();
  }

  private onExit(slot: Slot, process: FunctionProcess): void {
    this.all.delete(process);
    this.slotOf.delete(process);
    this.removeReady(process);
    // Processes that never became ready are handled by onStartFailure; retired ones were replaced already.
    if (process.readyAt !== 0 && !process.retired && !this.stopped && this.failure === undefined && slot.process === process) {
      slot.process = undefined;
      this.lastExit = process.describeExit();
      if (Date.now() - process.readyAt >= BACKOFF_RESET_UPTIME_MS) slot.backoffMs = BACKOFF_BASE_MS;
      const { functionName, revision, logger } = this.options;
      const line = `[local] the function process ${process.source} exited (${this.lastExit}); restarting in ${slot.backoffMs} ms`;
      this.options.logs.push('stderr', line, 'local');
      logger?.warn({ function: functionName, revision, pid: process.pid, exit: process.exit }, line);
      this.scheduleRestart(slot);
    }
    this.notify();
  }

  private scheduleRestart(slot: Slot): void {
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(delay * 2, BACKOFF_MAX_MS);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.launch(slot);
    }, delay);
    slot.restartTimer.unref();
  }

  private removeSlot(slot: Slot): void {
    slot.removed = true;
    clearTimeout(slot.restartTimer);
    this.slots.splice(this.slots.indexOf(slot), 1);
    const process = slot.process;
    slot.process = undefined;
    if (process !== undefined) {
      process.retired = true;
      this.removeReady(process);
      if (process.inflight === 0) void process.stop(this.options.stopGraceMs);
    }
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    const { functionName, revision, logger } = this.options;
    logger?.error({ function: functionName, revision }, `[local] function "${functionName}" failed: ${reason}`);
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    this.ready.length = 0;
    for (const process of this.all) void process.stop(this.options.stopGraceMs);
  }

  private removeReady(process: FunctionProcess): void {
    const index = this.ready.indexOf(process);
    if (index >= 0) this.ready.splice(index, 1);
  }

  private notify(): void {
    this.change.notify();
  }

  private waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.change.wait(timeoutMs, signal);
  }
}
