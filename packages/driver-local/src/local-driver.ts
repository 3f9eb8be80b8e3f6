import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BackendError, InvalidInputError, KeyedMutex, NotFoundError, assertValidName, replicaCount } from '@dispatch/core/driver';
import type {
  BaseImageSpec,
  BuiltImage,
  DeployResult,
  DeploySpec,
  DeployedFunction,
  DispatchLogger,
  Driver,
  FunctionRuntimeStatus,
  ImageBuildSpec,
  InvokeOptions,
  Language,
  LogLine,
  LogOptions,
  ProgressListener,
  RunEnvelope,
  RunRequest,
} from '@dispatch/core/driver';
import { ImageBuilder } from './image-builder.js';
import { invokeFunction } from './invoke-function.js';
import { LocalFunction } from './local-function.js';
import type { LocalFunctionSettings } from './local-function.js';
import { checkRuntime } from './runtime-check.js';
import { sandboxModeFromEnv } from './sandbox.js';
import type { SandboxMode } from './sandbox.js';
import { createSandboxSetup } from './sandbox-setup.js';
import { SparePool } from './spare-pool.js';
import { toArgv } from './run-command.js';

/** Options of the local backend. */
export interface LocalDriverOptions {
  /** Where images (`<dataDir>/images`) and function sources (`<dataDir>/functions`) live. */
  dataDir: string;
  /** The Node.js binary that runs nodejs functions; default: the one running Dispatch. */
  node?: string;
  /** The Python binary that runs python3 functions; default `python3`. */
  python?: string;
  /** The npm command for nodejs images; default `npm`. */
  npm?: string | string[];
  /** The pip command for python3 images; default `<python> -m pip`. */
  pip?: string | string[];
  /** Milliseconds a function process may take to load its handler; default 15000. */
  startTimeoutMs?: number;
  /** Milliseconds between SIGTERM and SIGKILL when a process is stopped; default 2000. */
  stopGraceMs?: number;
  /**
   * Calls in flight on one function process at most; default 64. More wait in the gateway (up to 1,000 per
   * function, then 503) until a call ends or a process is added.
   */
  maxCallsPerProcess?: number;
  /**
   * `auto` (default, or DISPATCH_SANDBOX): run each function process in a bubblewrap sandbox where bwrap works;
   * `required`: refuse to run functions without one; `off`: never.
   */
  sandbox?: SandboxMode;
  /** The bubblewrap binary; default `bwrap`. */
  bwrap?: string;
  /**
   * Keep one pre-warmed, sandboxed process per language that a start takes and gives the function (much faster
   * than starting an interpreter); default true. Used only by sandboxed functions it can start exactly.
   */
  prewarm?: boolean;
  /** A pino-compatible logger; silent when absent. */
  logger?: DispatchLogger;
}

const BASE_IMAGES: Record<Language, string> = {
  nodejs: 'dispatch/nodejs-base',
  python3: 'dispatch/python3-base',
};

/**
 * The embedded default backend: each function is a supervised pool of function server processes on this
 * machine, each called over one long-lived wire connection on a Unix socket of its own. Needs no Docker and
 * no cluster, only Node.js (and Python for python3 functions).
 */
export function createLocalDriver(options: LocalDriverOptions): Driver {
  const dataDir = resolve(options.dataDir);
  const python = options.python ?? 'python3';
  const node = options.node ?? process.execPath;
  const settings: LocalFunctionSettings = {
    functionsDir: join(dataDir, 'functions'),
    socketsDir: join(dataDir, 'sockets'),
    sandbox: createSandboxSetup({
      mode: options.sandbox ?? sandboxModeFromEnv(),
      bwrap: options.bwrap ?? 'bwrap',
      dataDir,
      node,
      python,
      logger: options.logger,
    }),
    startTimeoutMs: options.startTimeoutMs ?? 15_000,
    stopGraceMs: options.stopGraceMs ?? 2000,
    maxCallsPerProcess: options.maxCallsPerProcess ?? 64,
    logger: options.logger,
  };
  if (options.prewarm !== false) {
    settings.spares = new SparePool({
      functionsDir: settings.functionsDir,
      socketsDir: settings.socketsDir,
      startTimeoutMs: settings.startTimeoutMs,
      stopGraceMs: settings.stopGraceMs,
      logger: options.logger,
    });
  }
  const images = new ImageBuilder({
    imagesDir: join(dataDir, 'images'),
    npm: toArgv(options.npm ?? 'npm'),
    pip: toArgv(options.pip ?? [python, '-m', 'pip']),
    logger: options.logger,
  });
  const functions = new Map<string, LocalFunction>();
  // One lifecycle operation at a time per function name, so a remove never races a deploy's files.
  const queues = new KeyedMutex();
  let disposed = false;
  let functionsRoot: Promise<void> | undefined;

  /**
   * Node decides whether `handler.js` is CommonJS from the nearest package.json above it. Without one of
   * our own, a data folder inside an ESM project (`"type": "module"`) would break every `module.exports`
   * handler; a function that ships its own package.json still decides for itself.
   */
  function prepareFunctionsRoot(): Promise<void> {
    functionsRoot ??= (async () => {
      await mkdir(settings.functionsDir, { recursive: true });
      await writeFile(join(settings.functionsDir, 'package.json'), '{\n  "private": true,\n  "type": "commonjs"\n}\n');
    })().catch((error: unknown) => {
      functionsRoot = undefined;
      throw error;
    });
    return functionsRoot;
  }

  function serialize<T>(name: string, operation: () => Promise<T>): Promise<T> {
    if (disposed) return Promise.reject(new BackendError('[local] the driver has been disposed'));
    return queues.run(name, operation);
  }

  function mustGet(name: string): LocalFunction {
    const fn = functions.get(name);
    if (fn === undefined) throw new NotFoundError(`[local] function "${name}" is not deployed`);
    return fn;
  }

  return {
    name: 'local',
    // Lines live in memory: core shows those of runs from before a restart (see Driver.logsStartEmpty).
    logsStartEmpty: true,

    defaultBaseImages(): Record<Language, string> {
      return { ...BASE_IMAGES };
    },

    async prepareBaseImage(spec: BaseImageSpec, onProgress?: ProgressListener): Promise<void> {
      await checkRuntime(spec.language, spec.language === 'nodejs' ? node : python, onProgress);
    },

    buildImage(spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage> {
      return images.build(spec, onProgress);
    },

    removeImage(imageURL: string): Promise<void> {
      return images.remove(imageURL);
    },

    async deploy(spec: DeploySpec, onProgress?: ProgressListener): Promise<DeployResult> {
      // The name becomes a folder name: never let it point elsewhere.
      assertValidName('function', spec.name);
      if (spec.protocol === 'funker') {
        throw new InvalidInputError(
          `[local] function "${spec.name}" uses protocol funker: a plain funker image runs only on a container ` +
            `backend (swarm); the local backend runs Dispatch functions from their source`,
        );
      }
      if (spec.language !== 'nodejs' && spec.language !== 'python3') {
        throw new InvalidInputError(`[local] function "${spec.name}": unknown language "${String(spec.language)}"`);
      }
      const replicas = replicasOf(spec.replicas);
      await prepareFunctionsRoot();
      await serialize(spec.name, async () => {
        let fn = functions.get(spec.name);
        if (fn === undefined) {
          fn = new LocalFunction(spec.name, settings);
          functions.set(spec.name, fn);
        }
        await fn.deploy(spec, replicas, onProgress);
      });
      return {};
    },

    async status(name: string): Promise<FunctionRuntimeStatus> {
      return mustGet(name).status();
    },

    invoke(name: string, request: RunRequest, invokeOptions: InvokeOptions): Promise<RunEnvelope> {
      const fn = functions.get(name);
      if (fn === undefined) return Promise.reject(new NotFoundError(`[local] function "${name}" is not deployed`));
      return invokeFunction(fn, request, invokeOptions);
    },

    logs(name: string, logOptions?: LogOptions): AsyncIterable<LogLine> {
      return mustGet(name).logs.read(logOptions);
    },

    async scale(name: string, replicas: number): Promise<void> {
      // Zero is allowed here (core's autoscaler stops an idle function); a deploy always starts one process.
      const count = replicaCount('local', replicas);
      await serialize(name, () => mustGet(name).scale(count));
    },

    async list(): Promise<DeployedFunction[]> {
      const deployed: DeployedFunction[] = [];
      for (const fn of functions.values()) {
        const pool = fn.active;
        if (pool !== undefined) deployed.push({ name: fn.name, revision: pool.revision, replicas: pool.desired });
      }
      return deployed;
    },

    async remove(name: string): Promise<void> {
      assertValidName('function', name);
      await serialize(name, async () => {
        const fn = functions.get(name);
        functions.delete(name);
        if (fn !== undefined) await fn.stop(true);
        else await rm(join(settings.functionsDir, name), { recursive: true, force: true });
      });
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      // Operations already running finish first, so that no process starts after the others were stopped.
      await queues.whenIdle();
      disposed = true;
      const all = [...functions.values()];
      functions.clear();
      await Promise.all(all.map((fn) => fn.stop(false)));
      await settings.spares?.dispose();
    },
  };
}

/** At least one process on deploy: READY means a process answered. */
function replicasOf(replicas: number): number {
  return replicaCount('local', replicas, { min: 1 });
}
