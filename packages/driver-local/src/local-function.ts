import { lchown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, DispatchError, InvalidInputError, UnavailableError } from '@dispatch/core/driver';
import { unpackSource } from '@dispatch/core/source';
import type { DeploySpec, DispatchLogger, FunctionRuntimeStatus, ProgressListener } from '@dispatch/core/driver';
import { createLaunchSpec, socketsRoot } from './launch-spec.js';
import { LogBuffer } from './log-buffer.js';
import { ProcessPool } from './process-pool.js';
import type { SandboxSetup } from './sandbox-setup.js';
import type { SparePool } from './spare-pool.js';

export interface LocalFunctionSettings {
  functionsDir: string;
  /** Where the folders of the processes' Unix sockets go (`<dataDir>/sockets`). */
  socketsDir: string;
  /** Whether functions run sandboxed, and with which interpreters; decided once per driver. */
  sandbox: () => Promise<SandboxSetup>;
  startTimeoutMs: number;
  stopGraceMs: number;
  /** Calls in flight on one process at most; the others wait in the pool for a free place. */
  maxCallsPerProcess: number;
  /** Pre-warmed processes that a start takes when the function fits (see spare-pool.ts); none when absent. */
  spares?: SparePool;
  logger?: DispatchLogger;
}

/** The latest deploy, when it failed: what status reports until the next deploy. */
interface DeployFailure {
  revision: number;
  replicas: number;
  reason: string;
}

/**
 * One deployed function: the pool serving its current revision, the pools of earlier revisions still
 * draining, and its log buffer, which outlives revisions. Sources live in `<functionsDir>/<name>/<revision>`.
 * The driver runs one lifecycle operation (deploy, scale, remove) at a time per function.
 */
export class LocalFunction {
  readonly logs = new LogBuffer();
  /** The pool that takes calls. */
  active: ProcessPool | undefined;
  /** The timeout of the active revision, for the message of a call that ran past it. */
  timeoutMs = 0;
  failure: DeployFailure | undefined;
  private deploying: number | undefined;
  private readonly draining = new Map<ProcessPool, Promise<void>>();
  private readonly dir: string;

  constructor(
    readonly name: string,
    private readonly settings: LocalFunctionSettings,
  ) {
    this.dir = join(settings.functionsDir, name);
  }

  /**
   * Starts the revision and switches calls to it once it is ready; the previous revision then drains and
   * stops. The same healthy revision again only adjusts the replicas.
   */
  async deploy(spec: DeploySpec, replicas: number, onProgress?: ProgressListener): Promise<void> {
    const current = this.active;
    if (current !== undefined && current.revision === spec.revision && current.failure === undefined && !current.stopped) {
      this.failure = undefined;
      if (current.desired !== replicas) await current.scale(replicas);
      onProgress?.(`[local] revision ${spec.revision} of "${this.name}" is already running`);
      return;
    }
    this.deploying = spec.revision;
    try {
      if (current === undefined && this.draining.size === 0) {
        // Sources left by an earlier run of the gateway.
        await rm(this.dir, { recursive: true, force: true });
      } else if (current !== undefined && current.revision === spec.revision) {
        // The same revision, failed: start it again from scratch.
        this.active = undefined;
        await current.stop();
      }
      const pool = await this.startRevision(spec, replicas, onProgress);
      const previous = this.active;
      const previousTimeoutMs = this.timeoutMs;
      this.active = pool;
      this.timeoutMs = spec.timeout;
      this.failure = undefined;
      onProgress?.(`[local] revision ${spec.revision} of "${this.name}" is ready (${pool.ready.length}/${replicas} processes)`);
      if (previous !== undefined) this.drain(previous, previousTimeoutMs);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^\[local\] /, '') : String(error);
      this.failure = { revision: spec.revision, replicas, reason };
      throw error;
    } finally {
      this.deploying = undefined;
    }
  }

  async scale(replicas: number): Promise<void> {
    const pool = this.active;
    if (pool === undefined || pool.failure !== undefined) throw this.unavailable();
    await pool.scale(replicas);
  }

  status(): FunctionRuntimeStatus {
    const pool = this.active;
    const ready = pool?.ready.length ?? 0;
    if (this.failure !== undefined) {
      const serving = pool !== undefined && ready > 0 ? ` (revision ${pool.revision} still serves calls)` : '';
      return {
        ready: false,
        replicas: { desired: this.failure.replicas, ready },
        reason: `revision ${this.failure.revision} failed to start: ${this.failure.reason}${serving}`,
        failed: true,
      };
    }
    if (pool === undefined) {
      const reason = this.deploying === undefined ? 'not running' : `deploying revision ${this.deploying}`;
      return { ready: false, replicas: { desired: 0, ready: 0 }, reason };
    }
    const replicas = { desired: pool.desired, ready };
    if (pool.failure !== undefined) return { ready: false, replicas, reason: pool.failure, failed: true };
    if (ready > 0) return { ready: true, replicas };
    if (pool.desired === 0) return { ready: false, replicas, reason: 'scaled to zero' };
    return { ready: false, replicas, reason: pool.reason ?? 'starting' };
  }

  /** The error for a call when nothing can serve it. */
  unavailable(): UnavailableError {
    const reason = this.status().reason ?? 'not running';
    return new UnavailableError(`[local] function "${this.name}" cannot run: ${reason}`);
  }

  /** Stops every process; with `deleteSources`, also deletes the function's folder. */
  async stop(deleteSources: boolean): Promise<void> {
    const pools = [...this.draining.keys()];
    if (this.active !== undefined) pools.push(this.active);
    this.active = undefined;
    await Promise.all(pools.map((pool) => pool.stop()));
    await Promise.all(this.draining.values());
    this.logs.close();
    if (deleteSources) await rm(this.dir, { recursive: true, force: true });
  }

  private async startRevision(spec: DeploySpec, replicas: number, onProgress?: ProgressListener): Promise<ProcessPool> {
    const sourceDir = join(this.dir, String(spec.revision));
    await rm(sourceDir, { recursive: true, force: true });
    await mkdir(sourceDir, { recursive: true });
    try {
      await unpackSource(spec.source, sourceDir);
    } catch (error) {
      await rm(sourceDir, { recursive: true, force: true });
      const message = error instanceof Error ? error.message : String(error);
      throw new InvalidInputError(`[local] cannot unpack the source of function "${this.name}": ${message}`, { cause: error });
    }
    const { startTimeoutMs, stopGraceMs, maxCallsPerProcess, spares, logger } = this.settings;
    let pool: ProcessPool | undefined;
    // The processes' Unix sockets, in a folder of their own removed with the pool.
    const sockets = socketsRoot(this.settings.socketsDir);
    await mkdir(sockets, { recursive: true });
    const socketDir = await mkdtemp(join(sockets, 'dispatch-sock-'));
    try {
      const setup = await this.settings.sandbox();
      // The function's folder is the one place it may write: its sandbox user must own it (and its socket's folder).
      if (setup.sandbox?.uid !== undefined) {
        const { uid, gid = uid } = setup.sandbox;
        await chownTree(sourceDir, uid, gid);
        await lchown(socketDir, uid, gid);
      }
      const launch = await createLaunchSpec(spec, sourceDir, setup, socketDir);
      const plan = await spares?.plan(spec, launch, setup);
      onProgress?.(`[local] starting ${replicas} process${replicas === 1 ? '' : 'es'} of "${this.name}" revision ${spec.revision}`);
      pool = new ProcessPool({
        functionName: this.name,
        revision: spec.revision,
        launch,
        startTimeoutMs,
        stopGraceMs,
        maxCallsPerProcess,
        takeSpare: plan && spares && ((onLine) => spares.take(plan, sourceDir, onLine)),
        logs: this.logs,
        logger,
      });
      await pool.start(replicas);
      return pool;
    } catch (error) {
      await pool?.stop();
      await rm(sourceDir, { recursive: true, force: true });
      await rm(socketDir, { recursive: true, force: true });
      if (DispatchError.isInstance(error) && !(error instanceof UnavailableError)) throw error;
      // A handler that fails to load: the message is the loader's own.
      const reason = pool?.failure ?? (error instanceof Error ? error.message : String(error));
      throw new BackendError(`[local] ${reason}`, { cause: error });
    }
  }

  /** Lets the calls in flight on an earlier revision finish, then stops it and deletes its source. */
  private drain(pool: ProcessPool, timeoutMs: number): void {
    const sourceDir = join(this.dir, String(pool.revision));
    const drained = pool
      .drainAndStop(timeoutMs + this.settings.stopGraceMs)
      .then(() => rm(sourceDir, { recursive: true, force: true }))
      .catch((error: unknown) => {
        this.settings.logger?.warn({ function: this.name, error }, `[local] could not clean up revision ${pool.revision}`);
      })
      .finally(() => this.draining.delete(pool));
    this.draining.set(pool, drained);
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid, gid);
    else await lchown(path, uid, gid);
  }
}
