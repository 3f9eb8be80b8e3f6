import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, ensureCliBuilt } from './helpers/build.js';
import { pollCli, runCli, runCliOk, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { getWithHost } from '@dispatch/driver-testkit';

describe("the seed README's quickstart (steps 6 and 7), with a config.json holding only host and port", { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let workDir: string;
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    workDir = await mkdtemp(join(tmpdir(), 'dispatch-cli-quickstart-'));
    // The seed starts from an empty Dispatch: no default images, so that it creates python3 itself. The user who
    // started the gateway runs the CLI: its config.json names host and port only, and the token is found.
    gateway = await startTestGateway({ seedDefaults: false, home: workDir });
    await mkdir(join(workDir, 'examples/python3'), { recursive: true });
    await copyFile(join(REPO_DIR, 'examples/python3/hello.py'), join(workDir, 'examples/python3/hello.py'));
    // Step 6, with the gateway's address where the seed puts the ingress controller's.
    const RELEASE_NAME = 'dispatch-server';
    await writeFile(
      join(workDir, 'config.json'),
      `{
  "current": "${RELEASE_NAME}",
  "contexts": {
    "${RELEASE_NAME}": {
      "host": "127.0.0.1",
      "port": ${gateway.port},
      "scheme": "http",
      "insecure": true
    }
  }
}
`,
    );
    cli = { cwd: workDir, env: { HOME: workDir } };
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('creates an image, a function, runs it, and serves it through an endpoint', async () => {
    const created = await runCliOk(
      ['--config', './config.json', 'create', 'image', 'python3', 'dispatchframework/python3-base:0.0.13-knative'],
      cli,
    );
    expect(created.trim()).toBe('Created image: python3');

    const images = await pollCli(['--config', './config.json', 'get', 'images'], cli, (out) => /python3 .*READY/.test(out));
    expect(images.split('\n')[0]).toMatch(/^\s*NAME\s*\|\s*DESTINATION\s*\|\s*BASEIMAGE\s*\|\s*STATUS\s*\|\s*CREATED DATE$/);

    const fn = await runCliOk(
      ['--config', './config.json', 'create', 'function', '--image', 'python3', 'hello', './examples/python3/hello.py'],
      cli,
    );
    expect(fn.trim()).toBe('Created function: hello');

    const functions = await pollCli(['--config', './config.json', 'get', 'function'], cli, (out) => /hello .*READY/.test(out));
    expect(functions.split('\n')[0]).toMatch(/^\s*NAME\s*\|\s*STATUS\s*\|\s*CREATED DATE$/);

    const exec = await runCliOk(['--config', './config.json', 'exec', 'hello'], { ...cli, input: '{"name": "user"}\n' });
    const envelope = JSON.parse(exec) as { context: { logs: { stdout: string[] } }; payload: unknown };
    expect(envelope.payload).toEqual({ myField: 'Hello, user from Nowhere' });
    expect(envelope.context.logs.stdout).toContain('messages to stdout show up in logs');

    const endpoint = await runCliOk(
      ['--config', './config.json', 'create', 'endpoint', 'get-hello', 'hello', '--method', 'GET', '--method', 'POST', '--path', '/hello'],
      cli,
    );
    expect(endpoint.trim()).toBe('Created endpoint: get-hello');

    const response = await getWithHost(gateway.port, '/hello?name=Jon', 'default.dispatch-server.dispatch.local');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ myField: 'Hello, Jon from Nowhere' });
  });

  it('is refused for another user of the machine, who has no token', async () => {
    const stranger = await mkdtemp(join(tmpdir(), 'dispatch-cli-stranger-'));
    try {
      await copyFile(join(workDir, 'config.json'), join(stranger, 'config.json'));
      const result = await runCli(['--config', './config.json', 'get', 'function'], { cwd: stranger, env: { HOME: stranger } });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^\[Code: 401\] the admin API requires an Authorization: Bearer <token> header/);
    } finally {
      await rm(stranger, { recursive: true, force: true });
    }
  });
});
