import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { RUNTIME_ENV } from '@dispatch/runtimes';
import type { LaunchSpec } from './launch-spec.js';
import { SANDBOX_FUNCTION_DIR as SANDBOX_CWD, sandboxArgv } from './sandbox.js';

/** Starts the server, in its sandbox when it has one, listening on `socket` (the path it sees). */
export function spawnServer(launch: LaunchSpec, socket: string): ChildProcess {
  // stdin is a pipe we never write to: when this process dies, it closes and the server exits with it.
  const options = { env: { ...launch.env, [RUNTIME_ENV.socket]: socket }, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] as const };
  const { sandbox } = launch;
  if (sandbox === undefined) return spawn(launch.command, launch.args, { ...options, cwd: launch.cwd, stdio: [...options.stdio] });
  const argv = sandboxArgv(sandbox, launch.mounts ?? [], SANDBOX_CWD, [launch.command, ...launch.args]);
  return spawn(sandbox.bwrap, argv, { ...options, cwd: '/', stdio: [...options.stdio] });
}

/** Resolves when a stream has ended, errored or closed (or at once, for no stream). */
export function ended(stream: Readable | null): Promise<void> {
  if (stream === null) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}
