import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { BackendError, InvalidInputError } from '@dispatch/core/driver';

/** `off`: no sandbox; `auto` (default): a sandbox where bubblewrap works; `required`: no function runs without one. */
export type SandboxMode = 'off' | 'auto' | 'required';

/** Where a function sees its own folder, its image and the function server: no node_modules above any of them. */
export const SANDBOX_FUNCTION_DIR = '/function';
export const SANDBOX_IMAGE_DIR = '/dispatch/image';
export const SANDBOX_RUNTIME_DIR = '/dispatch/runtime';
/** Where a function server sees the folder of its Unix socket, the one the driver connects to. */
export const SANDBOX_SOCKET_DIR = '/dispatch/socket';
/** The user a function runs as when the gateway is root: `nobody`. */
export const SANDBOX_UID = 65534;
/** util-linux's setpriv, on every Debian: drops a root sandbox to SANDBOX_UID. */
const SETPRIV = 'setpriv';

/** A host folder bound into the sandbox. */
export interface SandboxMount {
  source: string;
  dest: string;
  writable: boolean;
}

/** How to wrap a function server in bubblewrap; the same for every process of the driver but its mounts. */
export interface Sandbox {
  bwrap: string;
  /** Arguments that build the sandbox's file system, before the per-function mounts. */
  args: string[];
  /** Host folders (runtime prefixes under a hidden home) bound back at their own path, after `args`. */
  mounts: SandboxMount[];
  /** Set when the gateway is root: the function server drops to this user and group. */
  uid?: number;
  gid?: number;
}

/** Reads DISPATCH_SANDBOX. */
export function sandboxModeFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxMode {
  const raw = (env.DISPATCH_SANDBOX ?? '').trim().toLowerCase();
  if (raw === '') return 'auto';
  if (raw === 'off' || raw === 'auto' || raw === 'required') return raw;
  throw new InvalidInputError(`DISPATCH_SANDBOX must be off, auto or required, not "${env.DISPATCH_SANDBOX ?? ''}"`);
}

/** Top-level folders that are not bound from the host: replaced by the sandbox's own, or hidden (sockets under /run). */
const NOT_BOUND = new Set(['proc', 'dev', 'tmp', 'run', 'lost+found']);

function isInside(path: string, dir: string): boolean {
  const inside = relative(dir, path);
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
}

export interface SandboxPlan {
  bwrap: string;
  /** The gateway's data folder: hidden from functions (the store, other functions, the token). */
  dataDir: string;
  /** Install prefixes of the runtimes (Node's, Python's): bound back when they live under a hidden folder. */
  runtimePrefixes: string[];
}

/**
 * The sandbox's file system: the host's top-level folders read-only, a private /tmp, /proc of its own pid
 * namespace, a minimal /dev, an empty /run (no Docker socket), and the gateway's home and data folder hidden.
 */
export function planSandbox(plan: SandboxPlan): Sandbox {
  const root = process.getuid?.() === 0;
  const args = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', '--tmpfs', '/'];
  for (const entry of readdirSync('/', { withFileTypes: true })) {
    if (NOT_BOUND.has(entry.name)) continue;
    const path = `/${entry.name}`;
    if (entry.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (entry.isDirectory()) args.push('--ro-bind', path, path);
  }
  args.push('--perms', '1777', '--tmpfs', '/tmp', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/run');
  // Name resolution for the function's outbound calls may go through a resolver under /run.
  for (const resolver of ['/run/systemd/resolve', '/run/resolvconf']) {
    if (existsDir(resolver)) args.push('--ro-bind', resolver, resolver);
  }
  // The gateway's home (credentials, the CLI's config) and its data folder (the store, other functions, the token).
  const hidden: string[] = [];
  const home = homedir();
  if (home !== '/' && existsDir(home)) hidden.push(home);
  const dataDir = resolve(plan.dataDir);
  const hiddenAlready = ['/tmp', '/run', ...hidden].some((dir) => isInside(dataDir, dir));
  if (!hiddenAlready && existsDir(dataDir)) hidden.push(dataDir);
  for (const dir of hidden) args.push('--tmpfs', dir);
  // A runtime installed under a hidden folder (nvm, pyenv) is bound back, read-only, at its own path.
  const mounts: SandboxMount[] = plan.runtimePrefixes
    .filter((prefix) => hidden.some((dir) => isInside(prefix, dir)))
    .map((prefix) => ({ source: prefix, dest: prefix, writable: false }));
  return { bwrap: plan.bwrap, args, mounts, ...(root ? { uid: SANDBOX_UID, gid: SANDBOX_UID } : {}) };
}

function existsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The bwrap command line of one process. As root, bubblewrap sets the sandbox up with its own privileges (it
 * can bind folders `nobody` cannot reach, such as a Python under /root), then setpriv drops to `nobody` with no
 * capabilities and no way back before the server starts.
 */
export function sandboxArgv(sandbox: Sandbox, mounts: readonly SandboxMount[], chdir: string, command: readonly string[]): string[] {
  const argv = [...sandbox.args];
  for (const mount of [...sandbox.mounts, ...mounts]) {
    // bubblewrap makes missing parents private (0700): the sandbox's user could not walk through them.
    const parents: string[] = [];
    for (let dir = dirname(mount.dest); dir !== '/'; dir = dirname(dir)) parents.unshift(dir);
    for (const dir of parents) argv.push('--perms', '0755', '--dir', dir);
    argv.push(mount.writable ? '--bind' : '--ro-bind', mount.source, mount.dest);
  }
  argv.push('--remount-ro', '/', '--chdir', chdir);
  if (sandbox.uid === undefined) return [...argv, '--', ...command];
  const uid = String(sandbox.uid);
  const gid = String(sandbox.gid ?? sandbox.uid);
  return [
    ...argv,
    ...['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP', '--', SETPRIV],
    ...['--reuid', uid, '--regid', gid, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'],
    ...command,
  ];
}

/** Where a runtime binary is installed: `<prefix>/bin/<binary>` → `<prefix>`. */
export function installPrefix(binary: string): string {
  return dirname(dirname(binary));
}

/**
 * Checks that bubblewrap can start a process in this sandbox (it needs user namespaces, which a container or
 * a hardened kernel may refuse). Resolves to undefined when it works, or to bubblewrap's own complaint.
 */
export async function probeSandbox(sandbox: Sandbox, node: string): Promise<string | undefined> {
  const argv = sandboxArgv(sandbox, [], '/', [node, '-e', '0']);
  return new Promise((resolve) => {
    const child = spawn(sandbox.bwrap, argv, { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (said.length < 1000) said += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(`${sandbox.bwrap} cannot start a sandbox here (${error.message})`);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = said.split('\n').find((text) => text.trim() !== '') ?? `exit code ${code ?? 'none'}`;
      resolve(code === 0 ? undefined : `${sandbox.bwrap} cannot start a sandbox here (${line.trim()})`);
    });
  });
}

/** The error of a deploy with DISPATCH_SANDBOX=required on a machine where the sandbox does not work. */
export function sandboxRequiredError(why: string): BackendError {
  return new BackendError(
    `[local] DISPATCH_SANDBOX=required, but ${why}: install bubblewrap (Debian's "bubblewrap" package) and allow ` +
      `unprivileged user namespaces, or set DISPATCH_SANDBOX=auto`,
  );
}
