import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { functionServerCommand, parseRuntimeStatus, type RuntimeLanguage, type RuntimeMode, type RuntimeStatus } from '../../src/index.js';

/** The fixture directory of a language's handlers. */
export function fixtureDir(language: RuntimeLanguage): string {
  return fileURLToPath(new URL(`../fixtures/${language}`, import.meta.url));
}

export interface LaunchOptions {
  language: RuntimeLanguage;
  handler: string;
  mode?: RuntimeMode;
  env?: Record<string, string>;
  args?: string[];
  /** Give the server a status fd (3); without it the server reports on stderr. */
  statusFd?: boolean;
  /** Keep a pipe to the server's stdin (for DISPATCH_EXIT_WITH_PARENT). */
  stdinPipe?: boolean;
}

export interface LaunchedServer {
  child: ChildProcess;
  /** The status line from fd 3 (undefined when the fd closed without one). */
  status: Promise<RuntimeStatus | undefined>;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

/** Spawns a real function server on an ephemeral port bound to localhost. */
export function launchServer(options: LaunchOptions): LaunchedServer {
  const { command, args } = functionServerCommand(options.language);
  const mode = options.mode ?? 'funker';
  const withStatusFd = options.statusFd ?? true;
  const child = spawn(command, [...args, ...(options.args ?? [])], {
    env: {
      PATH: process.env.PATH ?? '',
      DISPATCH_FUNCTION_DIR: fixtureDir(options.language),
      DISPATCH_HANDLER: options.handler,
      DISPATCH_MODE: mode,
      DISPATCH_HOST: '127.0.0.1',
      [mode === 'http' ? 'PORT' : 'DISPATCH_FUNKER_PORT']: '0',
      ...(withStatusFd ? { DISPATCH_STATUS_FD: '3' } : {}),
      ...options.env,
    },
    stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe', withStatusFd ? 'pipe' : 'ignore'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const statusStream = child.stdio[3] as Readable | null;
  const status = new Promise<RuntimeStatus | undefined>((resolve) => {
    if (!statusStream) return resolve(undefined);
    let text = '';
    statusStream.setEncoding('utf8');
    statusStream.on('data', (chunk: string) => (text += chunk));
    statusStream.on('close', () => resolve(parseRuntimeStatus(text.trim())));
    statusStream.on('error', () => resolve(undefined));
  });
  return { child, status, exit, stdout: () => stdout, stderr: () => stderr };
}

export interface RunningServer extends LaunchedServer {
  port: number;
  stop: () => Promise<number | null>;
}

/** Spawns a server and waits until it is listening; fails with its stderr when it does not get there. */
export async function startServer(options: LaunchOptions): Promise<RunningServer> {
  const server = launchServer(options);
  const status = await server.status;
  if (status?.status !== 'ready') {
    server.child.kill('SIGKILL');
    throw new Error(`server did not start: ${JSON.stringify(status)} ${server.stderr()}`);
  }
  const stop = async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
    return server.exit;
  };
  return { ...server, port: status.port, stop };
}
