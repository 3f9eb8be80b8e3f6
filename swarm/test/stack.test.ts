import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, requireEngine } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from '../../apps/cli/test/helpers/build.js';
import { pollCli, runCli, runCliOk, type CliOptions } from '../../apps/cli/test/helpers/cli.js';
import { prepareQuickstart, replayQuickstart } from './quickstart.js';
import { buildGatewayImage } from './helpers/gateway-image.js';

// The production shape of the swarm backend: the gateway's image built from this repository, deployed with
// swarm/stack.yml as a Swarm service on the overlay network, and the seed's quickstart replayed with the CLI
// against it. Functions become Swarm services that the gateway calls over funker.
const root = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);
const swarm = await requireEngine('swarm');

const STACK = `dispatch-e2e-${randomBytes(3).toString('hex')}`;
const GATEWAY_IMAGE = `dispatch/gateway:${STACK}`;
const TOKEN = randomBytes(16).toString('hex');
// The admin token goes to the gateway as a Docker secret of this run's own name (the engine is shared).
const TOKEN_SECRET = `${STACK}_token`;
// The token Prometheus would hold: it reads /metrics and nothing else.
const METRICS_TOKEN = randomBytes(16).toString('hex');

describe.skipIf(!swarm)('the gateway on Docker Swarm (swarm/stack.yml)', { timeout: 180_000 }, () => {
  let port: number;
  let workDir: string;
  let cli: CliOptions;
  const nodeImage = process.env.DISPATCH_NODE_IMAGE ?? '';
  const pythonImage = process.env.DISPATCH_PYTHON_IMAGE ?? '';

  beforeAll(async () => {
    await ensureCliBuilt();
    await buildGatewayImage(GATEWAY_IMAGE);
    port = await freePort();
    await new Promise<void>((resolve, reject) => {
      const create = execFile('docker', ['secret', 'create', TOKEN_SECRET, '-'], (error) => (error ? reject(error) : resolve()));
      create.stdin?.end(TOKEN);
    });
    await exec('docker', ['stack', 'deploy', '-c', 'swarm/stack.yml', STACK], {
      cwd: root,
      env: {
        ...process.env,
        DISPATCH_TOKEN_SECRET: TOKEN_SECRET,
        DISPATCH_GATEWAY_IMAGE: GATEWAY_IMAGE,
        DISPATCH_PORT: String(port),
        DISPATCH_SEED_DEFAULTS: 'false',
        DISPATCH_NODE_IMAGE: nodeImage,
        DISPATCH_PYTHON_IMAGE: pythonImage,
        DISPATCH_METRICS_TOKEN: METRICS_TOKEN,
      },
    });
    const deadline = Date.now() + 120_000;
    while ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) {
        const { stdout } = await exec('docker', ['service', 'ps', '--no-trunc', `${STACK}_gateway`]).catch(() => ({ stdout: '' }));
        throw new Error(`the gateway service did not answer /healthz on port ${port}:\n${stdout}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    workDir = await mkdtemp(join(tmpdir(), 'dispatch-swarm-e2e-'));
    // Step 6 of the seed: the config file written by hand, here with the gateway's token.
    await prepareQuickstart(workDir, { port, token: TOKEN });
    await copyFile(join(root, 'swarm/test/fixtures/call-admin.py'), join(workDir, 'call-admin.py'));
    cli = { cwd: workDir, env: { HOME: workDir }, timeoutMs: 120_000 };
  }, 20 * 60_000);

  afterAll(async () => {
    // The images the functions ran on: removing a function keeps its image (a later revision may reuse layers).
    const functionImages: string[] = [];
    for (const name of ['hello', 'call-admin']) {
      const { stdout } = await exec('docker', ['service', 'inspect', name, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}']).catch(
        () => ({ stdout: '' }),
      );
      if (stdout.trim()) functionImages.push(stdout.trim().replace(/@sha256:.*$/, ''));
    }
    if (workDir) {
      // The gateway removes what it created; then the stack goes.
      for (const args of [
        ['delete', 'endpoint', 'get-hello'],
        ['delete', 'function', 'hello'],
        ['delete', 'function', 'call-admin'],
        ['delete', 'image', 'python3'],
      ]) {
        await runCli(['--config', './config.json', ...args], cli).catch(() => undefined);
      }
      await rm(workDir, { recursive: true, force: true });
    }
    await exec('docker', ['stack', 'rm', STACK]).catch(() => undefined);
    // The secret is in use until the gateway's task is gone.
    const deadline = Date.now() + 60_000;
    while (
      (await exec('docker', ['secret', 'rm', TOKEN_SECRET]).then(
        () => false,
        (error: Error) => !/not found/i.test(error.message),
      )) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    while (
      (await exec('docker', ['volume', 'rm', `${STACK}_dispatch-data`]).then(
        () => false,
        (error: Error) => /in use/i.test(error.message),
      )) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await exec('docker', ['image', 'rm', '-f', GATEWAY_IMAGE]).catch(() => undefined);
    // Not forced: another run on this engine may use the same tag (it names the function's content).
    for (const image of functionImages) await exec('docker', ['image', 'rm', image]).catch(() => undefined);
  }, 120_000);

  it('replays the seed quickstart: create image, create function, exec, create endpoint, curl', async () => {
    await replayQuickstart({ cli, port });
    const services = await exec('docker', ['service', 'ls', '--filter', 'label=dispatch.function=hello', '--format', '{{.Name}}']);
    expect(services.stdout.trim()).toBe('hello');
  });

  it('exposes /metrics for scraping: the service is labelled for discovery, and the metrics token reads the runs made', async () => {
    const { stdout: labels } = await exec('docker', ['service', 'inspect', `${STACK}_gateway`, '--format', '{{json .Spec.Labels}}']);
    expect(JSON.parse(labels)).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    // The quickstart ran hello twice: `dispatch exec` and the endpoint.
    expect(text).toContain('dispatch_runs_total{function="hello",outcome="success"} 2');
    expect(text).toContain('dispatch_function_replicas{function="hello",state="ready"} 1');
    // The metrics token is no admin token.
    expect((await fetch(`http://127.0.0.1:${port}/v1/function`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(
      401,
    );
  });

  it('runs the gateway as a non-root user, with the token only in a secret file', async () => {
    const { stdout: id } = await exec('docker', ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_gateway`]);
    const container = id.trim().split('\n')[0] ?? '';
    // The server's own process (PID 1 after the entrypoint's exec), not the image's configured user.
    const { stdout: status } = await exec('docker', ['exec', container, 'cat', '/proc/1/status']);
    expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual(['1000', '1000']);
    const { stdout: environment } = await exec('docker', ['inspect', container, '--format', '{{json .Config.Env}}']);
    expect(environment).not.toContain(TOKEN);
    expect(JSON.parse(environment)).toContain('DISPATCH_TOKEN_FILE=/run/secrets/dispatch_token');
    const { stdout: inspect } = await exec('docker', ['service', 'inspect', `${STACK}_gateway`]);
    expect(inspect).not.toContain(TOKEN);
  });

  it('refuses a function that calls the admin API over the overlay network (401); its task has the limits it was given', async () => {
    const config = ['--config', './config.json'];
    await runCliOk(
      [...config, 'create', 'function', '--image', 'python3', '--memory', '128', '--cpus', '0.5', 'call-admin', './call-admin.py'],
      cli,
    );
    await pollCli([...config, 'get', 'function', 'call-admin'], cli, (out) => /call-admin\s.*READY/.test(out), 300_000);
    // The gateway's address on the overlay network the function shares with it.
    const { stdout: id } = await exec('docker', ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_gateway`]);
    const network = process.env.DISPATCH_SWARM_NETWORK ?? 'dispatch';
    const { stdout: address } = await exec('docker', [
      'inspect',
      id.trim().split('\n')[0] ?? '',
      '--format',
      `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
    ]);
    const input = JSON.stringify({ address: address.trim() });
    const envelope = JSON.parse(await runCliOk([...config, 'exec', 'call-admin'], { ...cli, input })) as { payload: unknown };
    // An IP literal passes the Host check: the token is what refuses it.
    expect(envelope.payload).toEqual({ status: 401 });

    const { stdout: limits } = await exec('docker', [
      'service',
      'inspect',
      'call-admin',
      '--format',
      '{{json .Spec.TaskTemplate.Resources.Limits}}',
    ]);
    expect(JSON.parse(limits)).toEqual({ MemoryBytes: 128 * 1024 * 1024, NanoCPUs: 500_000_000 });
  });

  it('serves the web console from the image at /ui, with its CSP and its gzipped script', async () => {
    const page = await fetch(`http://127.0.0.1:${port}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    const asset = await fetch(`http://127.0.0.1:${port}${script ?? '/ui/assets/missing.js'}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('gzip');
  });

  it('answers the CLI without the token with a one-line 401', async () => {
    const result = await runCli(['--host', '127.0.0.1', '--port', String(port), '--scheme', 'http', 'get', 'function'], {
      ...cli,
      env: { HOME: workDir },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^\[Code: 401\] /);
  });
});
