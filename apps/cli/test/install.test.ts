import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, ensureCliBuilt } from './helpers/build.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const run = promisify(execFile);

/** The workspaces a user installs: every one that is not private. */
async function publishableWorkspaces(): Promise<string[]> {
  const found: string[] = [];
  for (const group of ['packages', 'apps']) {
    for (const name of await readdir(join(REPO_DIR, group))) {
      const manifest = await readFile(join(REPO_DIR, group, name, 'package.json'), 'utf8').catch(() => undefined);
      if (manifest !== undefined && (JSON.parse(manifest) as { private?: boolean }).private !== true) found.push(`${group}/${name}`);
    }
  }
  return found;
}

// What README's "Run it" documents for an install without a checkout: `npm pack` the packages, then
// `npm install -g` the tarballs. Installed into a prefix of the test's own, then used from another folder.
describe('the packed packages, installed with npm install -g', { timeout: 1_200_000 }, () => {
  let dir: string;
  let gateway: TestGateway | undefined;

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'dispatch-install-'));
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('give a dispatch command that runs the seed quickstart from another folder', async () => {
    const packed = join(dir, 'packed');
    const prefix = join(dir, 'prefix');
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(packed);
    await mkdir(join(elsewhere, 'examples/python3'), { recursive: true });
    const workspaces = (await publishableWorkspaces()).flatMap((workspace) => ['--workspace', workspace]);
    await run('npm', ['pack', ...workspaces, '--pack-destination', packed], { cwd: REPO_DIR, maxBuffer: 64 * 1024 * 1024 });
    const tarballs = (await readdir(packed)).filter((file) => file.endsWith('.tgz')).map((file) => join(packed, file));
    expect(tarballs.map((file) => file.replace(/.*\//, ''))).toContain('dispatch-cli-0.1.0.tgz');
    // Without --allow-scripts=better-sqlite3 (which compiles the SQLite binding, minutes on CI): the CLI needs no
    // binding, and the gateway here is the test's own.
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
      cwd: elsewhere,
      timeout: 1_140_000,
      maxBuffer: 64 * 1024 * 1024,
    });

    // Nothing from the checkout: the PATH has the prefix's bin, HOME and the working folder are elsewhere.
    const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`, HOME: elsewhere };
    const dispatch = (args: string[]) => run('dispatch', args, { cwd: elsewhere, env, timeout: 120_000 }).then((result) => result.stdout);
    expect(await dispatch(['--version'])).toMatch(/^@dispatch\/cli\/0\.1\.0 /);
    // Shell completion as docs/cli.md sets it up.
    const { stdout: completion } = await run(
      'bash',
      ['-c', 'dispatch autocomplete bash >/dev/null; eval "$(printf "$(dispatch autocomplete script bash)")"; complete -p dispatch'],
      { cwd: elsewhere, env },
    );
    expect(completion).toContain('complete -F _dispatch_autocomplete dispatch');

    // Its runtime file goes to the HOME the CLI runs with, where the CLI finds the admin token.
    gateway = await startTestGateway({ seedDefaults: false, home: elsewhere });
    const port = String(gateway.port);
    await dispatch(['context', 'add', 'local', '--host', '127.0.0.1', '--port', port, '--scheme', 'http', '--use']);

    // The seed's quickstart: an image, a function, a run, an endpoint, and curl.
    await copyFile(join(REPO_DIR, 'examples/python3/hello.py'), join(elsewhere, 'examples/python3/hello.py'));
    expect(await dispatch(['create', 'image', 'python3', 'dispatchframework/python3-base:0.0.13-knative', '--wait'])).toContain(
      'Created image: python3',
    );
    expect(await dispatch(['create', 'function', '--image', 'python3', 'hello', './examples/python3/hello.py', '--wait'])).toContain(
      'Created function: hello',
    );
    const { stdout: exec } = await new Promise<{ stdout: string }>((resolve, reject) => {
      const child = execFile('dispatch', ['exec', 'hello'], { cwd: elsewhere, env }, (error, stdout) =>
        error ? reject(error) : resolve({ stdout }),
      );
      child.stdin?.end('{"name": "user"}\n');
    });
    expect(JSON.parse(exec)).toMatchObject({ payload: { myField: 'Hello, user from Nowhere' } });
    expect(await dispatch(['create', 'endpoint', 'get-hello', 'hello', '--method', 'GET', '--path', '/hello'])).toContain(
      'Created endpoint: get-hello',
    );
    const { stdout: answer } = await run('curl', ['-sf', `http://127.0.0.1:${port}/hello?name=Jon`]);
    expect(JSON.parse(answer)).toEqual({ myField: 'Hello, Jon from Nowhere' });
  });
});
