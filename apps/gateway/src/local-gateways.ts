import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What a gateway writes for its user while it runs, so that the CLI on the same machine finds its token without
 * being told: `<runtime dir>/gateway-<port>.json`, mode 0600, removed on a clean stop.
 */
export interface RuntimeFile {
  url: string;
  host: string;
  port: number;
  pid: number;
  token: string;
  dataDir: string;
}

/**
 * The folders where running gateways leave their runtime files, most specific first: `DISPATCH_RUNTIME_DIR`, else
 * `$XDG_RUNTIME_DIR/dispatch` (a per-user tmpfs on most Linux desktops), and `~/.dispatch/run` in any case.
 */
export function runtimeDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.DISPATCH_RUNTIME_DIR) return [env.DISPATCH_RUNTIME_DIR];
  const home = join(env.HOME ?? homedir(), '.dispatch', 'run');
  return env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'dispatch'), home] : [home];
}

/** The runtime file name of the gateway listening on `port`. */
export function runtimeFileName(port: number): string {
  return `gateway-${port}.json`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH, or EPERM: a process of another user took the pid over; either way not this user's gateway.
    return false;
  }
}

async function readRuntimeFile(path: string): Promise<RuntimeFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<RuntimeFile>;
    if (typeof parsed.token !== 'string' || typeof parsed.port !== 'number' || typeof parsed.pid !== 'number') return undefined;
    return isAlive(parsed.pid) ? (parsed as RuntimeFile) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The gateway of this user listening on `port` on this machine, if one left its runtime file and still runs.
 * Files of gateways that died without cleaning up are ignored.
 */
export async function findLocalGateway(port: number, env: NodeJS.ProcessEnv = process.env): Promise<RuntimeFile | undefined> {
  for (const dir of runtimeDirs(env)) {
    const found = await readRuntimeFile(join(dir, runtimeFileName(port)));
    if (found) return found;
  }
  return undefined;
}

export { isLoopbackHost } from './loopback.js';
