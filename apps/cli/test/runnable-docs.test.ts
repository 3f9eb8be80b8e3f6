import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { blocksScript, freePort, runnableBlocks, type DocBlock } from '@dispatch/driver-testkit';
import { BIN, REPO_DIR, ensureCliBuilt } from './helpers/build.js';

// Runs every command block of docs/*.md marked `<!-- runnable -->` (see driver-testkit's doc-blocks.ts), as a new
// user would: `dispatch` on the PATH, a gateway of theirs from `dispatch gateway start` with its default data
// folder (~/.local/share/dispatch) in a fresh HOME, and a working folder holding the repository's examples/.
// Each file runs its blocks in order in one shell against its own gateway; a failing command fails the test with
// the file and line of its block. The README's marked blocks are replayed against `npm start` by the gateway's
// readme-quickstart test.

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(REPO_DIR, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return markdownFiles(path);
      return Promise.resolve(entry.name.endsWith('.md') ? [path] : []);
    }),
  );
  return nested.flat().sort();
}

const DOCS: [string, DocBlock[]][] = [];
for (const file of await markdownFiles('docs')) {
  const blocks = await runnableBlocks(REPO_DIR, file);
  if (blocks.length > 0) DOCS.push([file, blocks]);
}

// What a doc tells the user to start the gateway with before its blocks.
const GATEWAY_ENV: Record<string, Record<string, string>> = {
  // "To try it without a device, start the gateway with DISPATCH_ALEXA_VERIFY=off".
  'docs/triggers.md': { DISPATCH_ALEXA_VERIFY: 'off' },
};

/** A user's HOME with `dispatch` on the PATH and curl failing on an HTTP error, and a folder with examples/. */
async function userSetup(): Promise<{ home: string; work: string; env: Record<string, string> }> {
  const home = await mkdtemp(join(tmpdir(), 'dispatch-docs-home-'));
  const bin = join(home, 'bin');
  await mkdir(bin);
  // The node running the tests runs the CLI too (CI runs them on several Node versions).
  await writeFile(join(bin, 'dispatch'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  await chmod(join(bin, 'dispatch'), 0o755);
  // A documented curl answered with a 4xx or 5xx is a failed block, not a line of output to ignore.
  await writeFile(join(home, '.curlrc'), '--fail-with-body\n');
  const work = join(home, 'work');
  await mkdir(work);
  await symlink(join(REPO_DIR, 'examples'), join(work, 'examples'));
  // The user's npm settings given by the environment (CI's Node 24 run names the machine's global npmrc so)
  // reach the npm installs of runtime dependencies.
  const npmConfig = Object.entries(process.env).filter(([key]) => /^npm_config_/i.test(key));
  const env = { ...Object.fromEntries(npmConfig), PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: home, LANG: 'C.UTF-8', CI: 'true' };
  return { home, work, env };
}

describe('the runnable blocks of docs/*.md', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    await ensureCliBuilt();
  }, 300_000);

  it('are marked in the docs that show local commands', () => {
    expect(DOCS.map(([file]) => file)).toEqual(expect.arrayContaining(['docs/cli.md', 'docs/endpoints.md', 'docs/getting-started.md']));
  });

  it.each(DOCS)('%s runs as written against `dispatch gateway start`', async (file, blocks) => {
    const { home, work, env } = await userSetup();
    const port = await freePort();
    const userEnv = { ...env, DISPATCH_PORT: String(port) };
    const gateway = spawn(process.execPath, [BIN, 'gateway', 'start'], {
      cwd: work,
      env: { ...userEnv, DISPATCH_LOG_LEVEL: 'warn', ...GATEWAY_ENV[file] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    gateway.stdout.on('data', (chunk) => (output += chunk));
    gateway.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => gateway.on('exit', resolve));
    try {
      for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200) break;
        if (Date.now() > deadline || gateway.exitCode !== null) throw new Error(`the gateway did not start:\n${output}`);
      }
      // The one thing a test cannot keep literal: the gateway listens on a free port, not 8080.
      const script = blocksScript(blocks, (code) => code.replaceAll(/(127\.0\.0\.1|localhost):8080\b/g, `$1:${port}`));
      const result = await run('bash', ['-c', script], { cwd: work, env: userEnv, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }).catch(
        (error: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`${error.stderr ?? error.message}\nstdout:\n${error.stdout ?? ''}\ngateway:\n${output}`);
        },
      );
      expect(result.stderr).not.toContain('runnable block');
    } finally {
      gateway.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => gateway.kill('SIGKILL'))]);
      await rm(home, { recursive: true, force: true });
    }
  });
});
