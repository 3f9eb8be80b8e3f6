import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_DIR, ensureCliBuilt } from './helpers/build.js';
import { runCliOk, type CliResult } from './helpers/cli.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every process below `root`: the gateway's function servers (and a sandbox's own processes). */
async function descendants(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) parents.set(Number(entry), ppid);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Alive and not a zombie waiting to be reaped. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

/** Whether `pid` holds an established TCP connection to `port` on loopback (its sockets' inodes in /proc/net/tcp). */
async function connectedTo(pid: number, port: number): Promise<boolean> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const table = await readFile(`/proc/${pid}/net/tcp`, 'utf8').catch(() => '');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .some((fields) => fields[3] === '01' && Number.parseInt(fields[2]?.split(':')[1] ?? '', 16) === port && inodes.has(fields[9] ?? ''));
}

/** A CLI command left running, with what it printed and how it ended. */
function startCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

// A handler whose loading never ends within the test: the function stays CREATING, its process busy.
const SLOW_TO_LOAD = 'const end = Date.now() + 60000;\nwhile (Date.now() < end) {}\nmodule.exports = () => "never";\n';

const GATEWAYS: [string, (dataDir: string) => string[]][] = [
  ['npm start (node apps/gateway/dist/server.js)', () => [join(REPO_DIR, 'apps/gateway/dist/server.js')]],
  ['dispatch gateway start', (dataDir) => [BIN, 'gateway', 'start', '--port', '0', '--data-dir', dataDir]],
];

describe('stopping the gateway with followers connected', { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
  }, 300_000);

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it.each(GATEWAYS)('%s: SIGINT ends the streams, the function processes and the gateway within 5 s', async (_, argv) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-shutdown-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const gateway = spawn(process.execPath, argv(dataDir), {
      cwd: dataDir,
      // Its runtime file goes where the CLI, run with HOME=dataDir below, looks for its token.
      env: {
        ...process.env,
        DISPATCH_DATA_DIR: dataDir,
        DISPATCH_RUNTIME_DIR: join(dataDir, '.dispatch/run'),
        DISPATCH_PORT: '0',
        DISPATCH_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(async () => {
      if (gateway.exitCode === null) gateway.kill('SIGKILL');
    });
    let output = '';
    gateway.stdout?.on('data', (chunk) => (output += chunk));
    gateway.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => gateway.on('exit', (code) => resolve(code)));
    let url: string | undefined;
    for (const deadline = Date.now() + 60_000; url === undefined; await sleep(100)) {
      url = /listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
      if (Date.now() > deadline || gateway.exitCode !== null) throw new Error(`the gateway did not start:\n${output}`);
    }
    const env = { HOME: dataDir, DISPATCH_HOST: '127.0.0.1', DISPATCH_PORT: new URL(url).port, DISPATCH_SCHEME: 'http' };

    await writeFile(join(dataDir, 'slow.js'), SLOW_TO_LOAD);
    await runCliOk(['create', 'function', 'slow', join(dataDir, 'slow.js'), '--image', 'nodejs'], { env });
    const logs = startCli(['logs', 'slow', '-f'], env);
    const wait = startCli(['get', 'function', 'slow', '--wait'], env);
    cleanup.push(async () => {
      for (const { child } of [logs, wait]) if (child.exitCode === null) child.kill('SIGKILL');
    });
    // Both connected, and the function's process is running (busy loading its handler).
    let functionProcesses: number[] = [];
    for (const deadline = Date.now() + 30_000; functionProcesses.length === 0; await sleep(200)) {
      functionProcesses = await descendants(gateway.pid ?? 0);
      if (Date.now() > deadline) throw new Error(`no function process started:\n${output}`);
    }
    // Both followers connected (a CLI process may take seconds to start on a busy machine).
    const port = Number(new URL(url).port);
    for (const { child } of [logs, wait]) {
      await expect.poll(() => connectedTo(child.pid ?? 0, port), { timeout: 30_000, interval: 100 }).toBe(true);
    }
    // And a moment for their requests to reach the gateway.
    await sleep(1000);
    expect(logs.child.exitCode).toBeNull();
    expect(wait.child.exitCode).toBeNull();

    const signalled = Date.now();
    gateway.kill('SIGINT');
    const code = await Promise.race([exited, sleep(5000).then(() => 'still running')]);
    expect(code, output).not.toBe('still running');
    // A sandboxed process ends a moment after its supervisor (bwrap's pid namespace is torn down by the kernel).
    for (const pid of functionProcesses) {
      const left = Math.max(100, 5000 - (Date.now() - signalled));
      await expect.poll(() => alive(pid), { message: `function process ${pid}`, timeout: left, interval: 50 }).toBe(false);
    }
    expect(Date.now() - signalled).toBeLessThan(5100);

    for (const follower of [await logs.done, await wait.done]) {
      expect(follower.code, follower.stderr).toBe(0);
      expect(follower.stderr).toContain('the gateway stopped');
      expect(follower.stderr).not.toMatch(/bug|\[Code/);
    }
  });
});
