// Pre-warmed function servers, as Fission's pool manager keeps them. Most of a cold start is starting an interpreter
// in its sandbox (hundreds of ms on a busy machine); loading a handler takes a few. So the driver keeps one spare per
// image in use (language and dependencies: an image's folder is bound when the sandbox is made), at most
// MAX_SPARES, already started in a sandbox of its own and waiting with no function. A start that fits (from zero, a
// scale-out, a restart) takes it: its empty slot folder (its /function) gets hard links to the function's files, the
// function's environment goes over its stdin, and it loads the handler and serves that function only, until it exits.
// A slot is never reused: it is deleted with its process. The next spare starts once the taken one is ready, so the
// two do not compete for the CPU during the cold start. Only sandboxed functions use spares (a spare's /function is
// then the same path as a function's own), and only those whose start a spare reproduces exactly (see `plan`).
import { copyFile, lchown, link, mkdir, mkdtemp, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DispatchLogger, Language } from '@dispatch/core/driver';
import { RUNTIME_ENV } from '@dispatch/runtimes';
import { FunctionProcess } from './function-process.js';
import type { LineListener, SpareControl } from './function-process.js';
import { createLaunchSpec, socketsRoot } from './launch-spec.js';
import type { LaunchSpec, LaunchedFunction } from './launch-spec.js';
import { SANDBOX_FUNCTION_DIR, SANDBOX_SOCKET_DIR } from './sandbox.js';
import type { SandboxSetup } from './sandbox-setup.js';

/**
 * Variables an interpreter reads when it starts (NODE_OPTIONS, PYTHONPATH, the locale…) or the function server
 * reads when it loads: a function that sets one starts a process of its own, since a spare has started already.
 */
const READ_AT_START = /^(NODE_|PYTHON|LANG$|LANGUAGE$|LC_|TZ$|DISPATCH_(?!HANDLER$|TIMEOUT_MS$|SPARE$))/;
/** A spare that dies this many times in a row before it waits gives spares up for its language (starts go on). */
const MAX_SPARE_FAILURES = 3;
const RESTART_DELAY_MS = 500;
/** Spares waiting at most (one per image): the least recently deployed image's goes first. */
const MAX_SPARES = 4;

export interface SparePoolOptions {
  /** Slots go in `<functionsDir>/.spares` (on the same file system as the sources, for hard links; never a name). */
  functionsDir: string;
  socketsDir: string;
  startTimeoutMs: number;
  stopGraceMs: number;
  logger?: DispatchLogger;
}

/** What a spare is started for: a language and an image (its dependencies). */
interface SpareKind {
  key: string;
  language: Language;
  imageURL: string;
}

/** How a deployed function starts from a spare: computed at deploy time, used by each start. */
export interface SparePlan {
  kind: SpareKind;
  setup: SandboxSetup;
  control: SpareControl;
}

interface Spare {
  kind: SpareKind;
  process: FunctionProcess;
  slotDir: string;
  socketDir: string;
  waited: boolean;
}

export class SparePool {
  /** By kind key, least recently planned first. */
  private readonly waiting = new Map<string, Spare>();
  private readonly starting = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly all = new Set<Spare>();
  private readonly cleanups = new Set<Promise<void>>();
  private readonly slotsRoot: string;
  private rootReady: Promise<void> | undefined;
  private disposed = false;

  constructor(private readonly options: SparePoolOptions) {
    this.slotsRoot = join(options.functionsDir, '.spares');
  }

  /**
   * Whether processes of `launch` (a revision's, as computed for its deploy) can start from a spare: sandboxed,
   * the same interpreter, server and folders bound as a spare of its image, and an environment that differs from
   * a spare's only in variables read after the start. Starts a spare of its image when there is none.
   */
  async plan(spec: LaunchedFunction, launch: LaunchSpec, setup: SandboxSetup): Promise<SparePlan | undefined> {
    if (this.disposed || setup.sandbox === undefined) return undefined;
    const kind: SpareKind = { key: `${spec.language} ${spec.imageURL}`, language: spec.language, imageURL: spec.imageURL };
    const spare = await spareLaunchSpec(kind, setup, '', '').catch(() => undefined);
    if (spare === undefined || !sameStart(spare, launch)) return undefined;
    const control: SpareControl = { env: {}, unset: [] };
    for (const [name, value] of Object.entries(launch.env)) {
      if (value !== undefined && spare.env[name] !== value) control.env[name] = value;
    }
    for (const name of Object.keys(spare.env)) if (launch.env[name] === undefined) control.unset.push(name);
    if ([...Object.keys(control.env), ...control.unset].some((name) => READ_AT_START.test(name))) return undefined;
    const waiting = this.waiting.get(kind.key);
    if (waiting !== undefined) {
      // Most recently planned last: the first to go when there are too many.
      this.waiting.delete(kind.key);
      this.waiting.set(kind.key, waiting);
    }
    this.warm(kind, setup);
    return { kind, setup, control };
  }

  /** The waiting spare of the plan's image, given the function (files from `sourceDir`); undefined when none. */
  take(plan: SparePlan, sourceDir: string, onLine: LineListener): FunctionProcess | undefined {
    const spare = this.waiting.get(plan.kind.key);
    if (spare === undefined || spare.process.exit !== undefined) return undefined;
    this.waiting.delete(plan.kind.key);
    spare.process.onLine = onLine;
    void this.specialise(spare, plan, sourceDir);
    void spare.process.started.catch(() => undefined).then(() => this.warm(plan.kind, plan.setup));
    return spare.process;
  }

  /** Stops every spare, waiting or given (their functions stop them first), and deletes their folders. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.all].map((spare) => spare.process.stop(this.options.stopGraceMs)));
    while (this.starting.size > 0 || this.cleanups.size > 0) {
      await Promise.all([...this.cleanups]);
      if (this.starting.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all([...this.all].map((spare) => spare.process.stop(this.options.stopGraceMs)));
    }
    await rm(this.slotsRoot, { recursive: true, force: true });
  }

  private async specialise(spare: Spare, plan: SparePlan, sourceDir: string): Promise<void> {
    try {
      await linkTree(sourceDir, spare.slotDir, ownerOf(plan.setup));
    } catch (error) {
      spare.process.abortStart(`cannot give the function its files: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    spare.process.specialise(plan.control);
  }

  private warm(kind: SpareKind, setup: SandboxSetup): void {
    const { key, language } = kind;
    if (this.disposed || this.waiting.has(key) || this.starting.has(key)) return;
    if ((this.failures.get(key) ?? 0) >= MAX_SPARE_FAILURES) return;
    if (this.waiting.size + this.starting.size >= MAX_SPARES) {
      const [oldest] = this.waiting.values();
      if (oldest === undefined) return;
      this.waiting.delete(oldest.kind.key);
      void oldest.process.stop(this.options.stopGraceMs);
    }
    this.starting.add(key);
    this.startSpare(kind, setup)
      .catch((error: unknown) => {
        this.options.logger?.warn({ err: error, language }, `[local] could not start a spare ${language} process`);
      })
      .finally(() => this.starting.delete(key));
  }

  private async startSpare(kind: SpareKind, setup: SandboxSetup): Promise<void> {
    const { key, language } = kind;
    // Slots left by an earlier run of the gateway go first.
    this.rootReady ??= (async () => {
      await rm(this.slotsRoot, { recursive: true, force: true });
      await mkdir(this.slotsRoot, { recursive: true });
    })().catch((error: unknown) => {
      this.rootReady = undefined;
      throw error;
    });
    await this.rootReady;
    const sockets = socketsRoot(this.options.socketsDir);
    await mkdir(sockets, { recursive: true });
    const slotDir = await mkdtemp(join(this.slotsRoot, `${language}-`));
    const socketDir = await mkdtemp(join(sockets, 'dispatch-spare-'));
    const owner = ownerOf(setup);
    if (owner !== undefined) await Promise.all([lchown(slotDir, owner.uid, owner.gid), lchown(socketDir, owner.uid, owner.gid)]);
    if (this.disposed) {
      await removeFolders(slotDir, socketDir);
      return;
    }
    const { logger } = this.options;
    const process = new FunctionProcess({
      launch: await spareLaunchSpec(kind, setup, slotDir, socketDir),
      startTimeoutMs: this.options.startTimeoutMs,
      // Nothing of a function runs before it is given one: what a spare prints is the runtime's own.
      onLine: (from, stream, line) => logger?.info({ language, pid: from.pid, stream }, `[local] spare: ${line}`),
      spare: true,
    });
    const spare: Spare = { kind, process, slotDir, socketDir, waited: false };
    this.all.add(spare);
    this.waiting.set(key, spare);
    void process.waiting.then(() => {
      spare.waited = true;
      this.failures.set(key, 0);
    });
    void process.exited.then(() => this.onExit(spare, setup));
  }

  private onExit(spare: Spare, setup: SandboxSetup): void {
    const cleanup = removeFolders(spare.slotDir, spare.socketDir).finally(() => {
      this.cleanups.delete(cleanup);
      this.all.delete(spare);
    });
    this.cleanups.add(cleanup);
    const { key, language } = spare.kind;
    if (this.waiting.get(key) !== spare) return;
    // A spare that died while it waited is replaced; one that keeps dying before it waits gives up its image.
    this.waiting.delete(key);
    if (this.disposed) return;
    const failures = spare.waited ? 0 : (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const { logger } = this.options;
    const exit = spare.process.describeExit();
    if (failures >= MAX_SPARE_FAILURES) {
      logger?.warn({ language }, `[local] spare ${language} processes keep exiting (${exit}): functions of its image start without them`);
      return;
    }
    logger?.info({ language }, `[local] a spare ${language} process exited (${exit}); starting another`);
    setTimeout(() => this.warm(spare.kind, setup), failures === 0 ? 0 : RESTART_DELAY_MS).unref();
  }
}

/** The launch of a spare: a function's of its image with no function (no handler), told to wait for one. */
async function spareLaunchSpec(kind: SpareKind, setup: SandboxSetup, slotDir: string, socketDir: string): Promise<LaunchSpec> {
  const { language, imageURL } = kind;
  const spec: LaunchedFunction = { name: 'spare', language, imageURL, env: {}, handler: '', timeout: 0 };
  const launch = await createLaunchSpec(spec, slotDir, setup, socketDir);
  delete launch.env[RUNTIME_ENV.handler];
  delete launch.env[RUNTIME_ENV.timeoutMs];
  launch.env[RUNTIME_ENV.spare] = '1';
  return launch;
}

/** Same interpreter, server file and bound folders, but for the function's own folder and socket folder. */
function sameStart(spare: LaunchSpec, launch: LaunchSpec): boolean {
  const shared = (spec: LaunchSpec): string =>
    JSON.stringify(
      (spec.mounts ?? [])
        .filter((mount) => mount.dest !== SANDBOX_FUNCTION_DIR && mount.dest !== SANDBOX_SOCKET_DIR)
        .map((mount) => [mount.source, mount.dest, mount.writable]),
    );
  return (
    launch.sandbox === spare.sandbox &&
    launch.command === spare.command &&
    JSON.stringify(launch.args) === JSON.stringify(spare.args) &&
    shared(launch) === shared(spare)
  );
}

/**
 * Fills a slot with a function's files: hard links (the slot is on the same file system as the sources; a copy
 * where it is not), folders and symbolic links made anew, owned by the sandbox's user.
 */
async function linkTree(from: string, to: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = join(from, entry.name);
      const dest = join(to, entry.name);
      if (entry.isDirectory()) {
        await mkdir(dest);
        if (owner !== undefined) await lchown(dest, owner.uid, owner.gid);
        await linkTree(source, dest, owner);
        return;
      }
      if (entry.isSymbolicLink()) await symlink(await readlink(source), dest);
      else if (entry.isFile()) {
        try {
          await link(source, dest);
          return;
        } catch {
          await copyFile(source, dest);
        }
      } else return;
      if (owner !== undefined) await lchown(dest, owner.uid, owner.gid);
    }),
  );
}

/** The sandbox's user, when the gateway is root: it owns what a function may write. */
function ownerOf(setup: SandboxSetup): { uid: number; gid: number } | undefined {
  const uid = setup.sandbox?.uid;
  return uid === undefined ? undefined : { uid, gid: setup.sandbox?.gid ?? uid };
}

function removeFolders(...dirs: string[]): Promise<void> {
  return Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))).then(
    () => undefined,
    () => undefined,
  );
}
