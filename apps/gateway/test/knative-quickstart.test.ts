import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  getWithHost,
  pushLanguageImages,
  requireEngine,
  requireRegistry,
  startTestRegistry,
  type TestRegistry,
} from '@dispatch/driver-testkit';
import { startKubeHarness, type KubeHarness } from '@dispatch/driver-testkit/kube-harness';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureCliBuilt } from '../../cli/test/helpers/build.js';
import { pollCli, runCliOk, type CliOptions } from '../../cli/test/helpers/cli.js';
import { startGateway, type RunningGateway } from '../src/start.js';

// The seed's quickstart with the gateway on the knative backend, as the chart deploys it: no Docker engine for the
// gateway, only a registry with a login, where images are assembled. Kubernetes cannot run on these machines, so the
// cluster is the Kubernetes API test harness: the official client talks to it through a kubeconfig, its "nodes" pull
// function images from the registry and run them on the real Docker engine, and calls go over HTTP through its
// ingress by Host header.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const engine = await requireEngine('docker');
const registryPresent = await requireRegistry({ auth: true });

describe.runIf(engine && registryPresent)(
  'the gateway on the knative backend (through the Kubernetes API harness)',
  { timeout: 180_000 },
  () => {
    let harness: KubeHarness;
    let registry: TestRegistry;
    let gateway: RunningGateway;
    let dataDir: string;
    let workDir: string;
    let cli: CliOptions;
    const saved = { ...process.env };

    beforeAll(async () => {
      await ensureCliBuilt();
      const login = { username: 'dispatch', password: `pw-${process.pid}` };
      registry = await startTestRegistry({ auth: login });
      const languageImages = await pushLanguageImages(registry);
      harness = await startKubeHarness({ progressDeadlineMs: 30_000, pullCredentials: { [registry.address]: login } });
      // The knative backend reads its settings from the environment, as in the chart: a registry and no Docker engine
      // (DOCKER_HOST names none, so any use of one would fail).
      process.env.KUBECONFIG = harness.kubeconfigPath;
      process.env.DISPATCH_KNATIVE_INGRESS = harness.ingressUrl;
      process.env.DISPATCH_KNATIVE_BUILDER = 'registry';
      process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
      process.env.DISPATCH_REGISTRY_URL = registry.address;
      process.env.DISPATCH_REGISTRY_REPOSITORY = 'dispatch';
      process.env.DISPATCH_REGISTRY_USERNAME = login.username;
      process.env.DISPATCH_REGISTRY_PASSWORD = login.password;
      // The language images Dispatch's base images are assembled on (a user's registry would be Docker Hub's).
      process.env.DISPATCH_NODE_IMAGE = languageImages.nodejs;
      process.env.DISPATCH_PYTHON_IMAGE = languageImages.python3;
      dataDir = await mkdtemp(join(tmpdir(), 'dispatch-knative-gateway-'));
      workDir = await mkdtemp(join(tmpdir(), 'dispatch-knative-quickstart-'));
      // Started by the user whose HOME the CLI runs with: the CLI finds the generated token in its runtime file.
      const runtimeDir = join(workDir, '.dispatch/run');
      gateway = await startGateway({
        backend: 'knative',
        port: 0,
        dataDir,
        runtimeDir,
        seedDefaults: false,
        logger: pino({ level: 'silent' }),
      });

      await mkdir(join(workDir, 'examples/python3'), { recursive: true });
      await copyFile(join(root, 'examples/python3/hello.py'), join(workDir, 'examples/python3/hello.py'));
      const port = Number(new URL(gateway.url).port);
      await writeFile(
        join(workDir, 'config.json'),
        JSON.stringify({
          current: 'dispatch-server',
          contexts: { 'dispatch-server': { host: '127.0.0.1', port, scheme: 'http', insecure: true } },
        }),
      );
      cli = { cwd: workDir, env: { HOME: workDir }, timeoutMs: 120_000 };
    }, 300_000);

    afterAll(async () => {
      await gateway?.close();
      await harness?.close();
      await registry?.stop();
      process.env = saved;
      for (const dir of [dataDir, workDir]) if (dir) await rm(dir, { recursive: true, force: true });
    }, 120_000);

    it('creates an image and a function, runs it, and serves it through an endpoint', async () => {
      const config = ['--config', './config.json'];
      await runCliOk([...config, 'create', 'base-image', 'python3-base', 'dispatch/python3-base', '--language', 'python3'], cli);
      expect(await runCliOk([...config, 'create', 'image', 'python3', 'python3-base'], cli)).toContain('Created image: python3');
      await pollCli([...config, 'get', 'images'], cli, (out) => /python3\s.*READY/.test(out), 300_000);

      expect(
        await runCliOk([...config, 'create', 'function', '--image', 'python3', 'hello', './examples/python3/hello.py'], cli),
      ).toContain('Created function: hello');
      await pollCli([...config, 'get', 'function'], cli, (out) => /hello\s.*READY/.test(out), 300_000);

      const envelope = JSON.parse(await runCliOk([...config, 'exec', 'hello'], { ...cli, input: '{"name": "user"}' })) as {
        context: { logs: { stdout: string[] } };
        payload: unknown;
      };
      expect(envelope.payload).toEqual({ myField: 'Hello, user from Nowhere' });
      expect(envelope.context.logs.stdout).toContain('messages to stdout show up in logs');

      // `dispatch logs` reads the function's pods' logs through the Kubernetes API (pods/log), and follows them.
      expect(await runCliOk([...config, 'logs', 'hello'], cli)).toContain('messages to stdout show up in logs');
      const follower = spawn(process.execPath, [BIN, ...config, 'logs', 'hello', '--follow', '--tail', '0'], {
        cwd: workDir,
        env: { PATH: process.env.PATH ?? '', HOME: workDir },
      });
      let followed = '';
      follower.stdout.setEncoding('utf8').on('data', (chunk: string) => (followed += chunk));
      try {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(followed).not.toContain('messages to stdout');
        await runCliOk([...config, 'exec', 'hello'], { ...cli, input: '{"name": "followed"}' });
        const deadline = Date.now() + 15_000;
        while (!followed.includes('messages to stdout show up in logs') && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
        expect(followed).toContain('messages to stdout show up in logs');
      } finally {
        follower.kill();
      }

      await runCliOk(
        [...config, 'create', 'endpoint', 'get-hello', 'hello', '--method', 'GET', '--method', 'POST', '--path', '/hello'],
        cli,
      );
      const reply = await getWithHost(Number(new URL(gateway.url).port), '/hello?name=Jon', 'default.dispatch-server.dispatch.local');
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ myField: 'Hello, Jon from Nowhere' });

      // Clean up on the harness: the function's Knative Service (and its container) goes with the function.
      await runCliOk([...config, 'delete', 'endpoint', 'get-hello'], cli);
      await runCliOk([...config, 'delete', 'function', 'hello'], cli);
    });
  },
);
