import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksScript, freePort, runnableBlocks } from '@dispatch/driver-testkit';

// Replays the README: `npm start` on a fresh data folder, then every block of it marked runnable (its Quickstart),
// in order, against that gateway, with curl failing on an HTTP error. If the README's commands stop being true,
// this fails, naming the block. The runnable blocks of docs/*.md run in the CLI's runnable-docs test.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

/**
 * The local backend's function processes for that data folder: those working inside it, and sandboxes (bwrap)
 * whose command line binds a folder of it (inside the sandbox the process works in `/function`).
 */
async function processesWorkingIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const sandboxed = argv[0]?.endsWith('bwrap') === true && argv.some((arg) => arg.startsWith(`${dir}/`));
    if (cwd.startsWith(dir) || sandboxed) pids.push(Number(entry));
  }
  return pids;
}

/** The gateway's own node process under `npm start` (npm and sh sit between). */
async function gatewayPid(dataDir: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    // The node process itself, not the shell that npm runs the start script in.
    if (!argv[1]?.endsWith('apps/gateway/dist/server.js')) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`DISPATCH_DATA_DIR=${dataDir}`)) return Number(entry);
  }
  return undefined;
}

describe('the README', () => {
  let dataDir: string;
  let port: number;
  let gateway: ChildProcess;
  let output = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dispatch-readme-'));
    port = await freePort();
    gateway = spawn('npm', ['start', '--silent'], {
      cwd: root,
      env: {
        ...process.env,
        DISPATCH_PORT: String(port),
        DISPATCH_DATA_DIR: dataDir,
        DISPATCH_RUNTIME_DIR: join(dataDir, 'run'),
        DISPATCH_LOG_LEVEL: 'warn',
        DISPATCH_TOKEN: '',
        DISPATCH_TOKEN_FILE: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    gateway.stdout?.on('data', (chunk) => (output += chunk));
    gateway.stderr?.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 120_000;
    while ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline || gateway.exitCode !== null) throw new Error(`npm start did not bring the gateway up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 180_000);

  afterAll(async () => {
    if (gateway.pid) process.kill(-gateway.pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs its quickstart as written against `npm start`', async () => {
    // The test's gateway keeps its data (and so its generated token) in a folder of its own, not in ~/.local/share.
    const blocks = await runnableBlocks(root, 'README.md');
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const script = blocksScript(blocks, (code) =>
      code.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`).replaceAll('~/.local/share/dispatch/', `${dataDir}/`),
    );
    // A documented curl answered with a 4xx or 5xx fails its block.
    await writeFile(join(dataDir, '.curlrc'), '--fail-with-body\n');
    const { stdout } = await run('bash', ['-c', script], { cwd: root, timeout: 120_000, env: { ...process.env, CURL_HOME: dataDir } });
    expect(stdout).toContain('"output":{"myField":"Hello, user from Nowhere"}');
    expect(stdout).toContain('"stdout":["messages to stdout show up in logs"]');
    expect(stdout).toContain('"output":{"myField":"Hello, user from Palo Alto"}');
    expect(stdout.trimEnd().endsWith('{"myField":"Hello, Jon from Nowhere"}')).toBe(true);

    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const url = `http://127.0.0.1:${port}/v1/runs?functionName=hello`;
    expect((await fetch(url)).status).toBe(401);
    const history = (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[];
    expect(history.length).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it('leaves no function process behind when the gateway is killed outright', async () => {
    const functions = await processesWorkingIn(dataDir);
    expect(functions.length).toBeGreaterThan(0);
    const pid = await gatewayPid(dataDir);
    expect(pid, `the gateway process; its output:\n${output}`).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    await expect.poll(() => processesWorkingIn(dataDir), { timeout: 10_000, interval: 100 }).toEqual([]);
  }, 30_000);
});
