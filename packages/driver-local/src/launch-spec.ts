import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError, RUN_LIMIT_ENV, runLimitsFromEnv } from '@dispatch/core/driver';
import type { DeploySpec } from '@dispatch/core/driver';
import { RUNTIME_ENV, functionServerCommand, functionServerEnv } from '@dispatch/runtimes';
import { SANDBOX_FUNCTION_DIR, SANDBOX_IMAGE_DIR, SANDBOX_RUNTIME_DIR, SANDBOX_SOCKET_DIR } from './sandbox.js';
import type { Sandbox, SandboxMount } from './sandbox.js';
import type { SandboxSetup } from './sandbox-setup.js';

/** How to start one function server process; computed once per deploy and reused for every restart. */
export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Run the server in this bubblewrap sandbox, with these host folders bound in. */
  sandbox?: Sandbox;
  mounts?: SandboxMount[];
  /** The folder of the processes' Unix sockets, on the host and as the process sees it (in its sandbox). */
  socketDir: { host: string; seen: string };
}

/** Loopback only: function servers are reached by the driver, never from the network. */
export const LOOPBACK = '127.0.0.1';
/** A socket folder path leaves room for `/dispatch-sock-XXXXXX/<n>.sock` within a socket path's 107 bytes. */
const MAX_SOCKETS_DIR_LENGTH = 80;

/**
 * Where the folders of processes' Unix sockets go: under the data folder (so that a gateway killed outright leaves
 * nothing elsewhere), or the temporary folder when that path would be too long for a socket (at most 107 bytes).
 */
export function socketsRoot(socketsDir: string): string {
  return socketsDir.length <= MAX_SOCKETS_DIR_LENGTH ? socketsDir : tmpdir();
}

/** The fd the function server writes its one status line to; the 4th entry of the child's stdio. */
const STATUS_FD = 3;

/** A PATH for a gateway started without one (a service manager with an empty environment). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment every function process starts from: an allow-list, never the gateway's own variables
 * (its token, cloud credentials, an SSH agent). The function's `env` and the runtime's settings are added
 * on top. HOME is the function's own folder, so that tools which write under ~ write where the function may.
 */
export function baseEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH || DEFAULT_PATH,
    LANG: process.env.LANG || 'C.UTF-8',
    HOME: home,
    // Lines a Python function prints outside calls should reach `logs` as they happen.
    PYTHONUNBUFFERED: '1',
  };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

/**
 * The image folder behind an image URL, or undefined for an image without dependencies (a base image
 * name such as `dispatch/nodejs-base`). A `file:` image that has gone missing is an error: the function
 * would start without its dependencies.
 */
export async function imageDirOf(imageURL: string, functionName: string): Promise<string | undefined> {
  if (!imageURL.startsWith('file:')) return undefined;
  const dir = fileURLToPath(imageURL);
  try {
    if ((await stat(dir)).isDirectory()) return dir;
  } catch {
    // Reported below.
  }
  throw new BackendError(`[local] the image of function "${functionName}" (${dir}) does not exist: build the image again`);
}

/** What of a deploy decides how its processes start (a spare is started from a function with no handler yet). */
export type LaunchedFunction = Pick<DeploySpec, 'name' | 'language' | 'imageURL' | 'env' | 'handler' | 'timeout'>;

/**
 * How to start the function server of one revision; computed once, reused by every (re)start. Each process
 * listens on a Unix socket of its own in `socketDir` (bound into its sandbox), where the driver keeps one
 * connection to it.
 */
export async function createLaunchSpec(
  spec: LaunchedFunction,
  functionDir: string,
  setup: SandboxSetup,
  socketDir: string,
): Promise<LaunchSpec> {
  const imageDir = await imageDirOf(spec.imageURL, spec.name);
  const { sandbox } = setup;
  const { command, args } = functionServerCommand(spec.language, { node: setup.node, python: setup.python });
  // In the sandbox the function sees its folder, its image and the server at fixed paths with no node_modules above.
  const serverFile = args[0] as string;
  const seen = {
    functionDir: sandbox ? SANDBOX_FUNCTION_DIR : functionDir,
    imageDir: sandbox && imageDir !== undefined ? SANDBOX_IMAGE_DIR : imageDir,
    serverFile: sandbox ? `${SANDBOX_RUNTIME_DIR}/${basename(serverFile)}` : serverFile,
  };
  const limits = runLimitsFromEnv();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(seen.functionDir),
    ...spec.env,
    // The function server cuts a run's logs and refuses a large return value itself, before sending anything.
    [RUN_LIMIT_ENV.maxOutputBytes]: String(limits.maxOutputBytes),
    [RUN_LIMIT_ENV.maxLogBytes]: String(limits.maxLogBytes),
    ...functionServerEnv({
      functionDir: seen.functionDir,
      handler: spec.handler,
      mode: 'funker',
      host: LOOPBACK,
      port: 0,
      statusFd: STATUS_FD,
      timeoutMs: spec.timeout,
      // The server exits when our end of its stdin closes: even a SIGKILLed gateway leaves no function behind.
      exitWithParent: true,
    }),
    // A call's output also goes to the process's own stdout and stderr as it is printed, where the driver reads
    // it into `logs`: what a call printed before its process exited or was killed is not lost with its reply.
    [RUNTIME_ENV.teeLogs]: '1',
  };
  if (seen.imageDir !== undefined) {
    const [variable, path] =
      spec.language === 'nodejs'
        ? ['NODE_PATH', join(seen.imageDir, 'node_modules')]
        : ['PYTHONPATH', join(seen.imageDir, 'site-packages')];
    const own = spec.env[variable];
    env[variable] = own ? `${path}${delimiter}${own}` : path;
  }
  const launch: LaunchSpec = {
    command,
    args: [seen.serverFile, ...args.slice(1)],
    cwd: functionDir,
    env,
    socketDir: { host: socketDir, seen: sandbox ? SANDBOX_SOCKET_DIR : socketDir },
  };
  if (sandbox !== undefined) {
    launch.sandbox = sandbox;
    launch.mounts = [
      { source: functionDir, dest: SANDBOX_FUNCTION_DIR, writable: true },
      { source: dirname(serverFile), dest: SANDBOX_RUNTIME_DIR, writable: false },
      { source: socketDir, dest: SANDBOX_SOCKET_DIR, writable: true },
      ...(imageDir === undefined ? [] : [{ source: imageDir, dest: SANDBOX_IMAGE_DIR, writable: false }]),
    ];
  }
  return launch;
}
