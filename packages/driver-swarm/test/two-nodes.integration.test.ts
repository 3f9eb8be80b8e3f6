import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchLogger } from '@dispatch/core/driver';
import {
  deploySpec,
  eventually,
  followProgress,
  registryAuthConfig,
  requireEngine,
  requireRegistry,
  startTestRegistry,
} from '@dispatch/driver-testkit';
import type { TestRegistry } from '@dispatch/driver-testkit';
import { ensureCliBuilt } from '../../../apps/cli/test/helpers/build.js';
import { createSwarmDriver } from '../src/index.js';
import type { TaskInfo } from '../src/service-status.js';
import { taskAddress } from '../src/task-probe.js';
import { createTaskReplacer } from '../src/task-replacer.js';
import { REPO_ROOT, RUN_ID, buildIdleImage, localNodeImage, localPythonImage } from './helpers.js';

// A Swarm of two nodes on this machine (scripts/docker/ensure-swarm-nodes.sh: a manager and a worker, each a
// Docker engine in a network namespace of its own). The worker starts with no image and no login: function images
// reach it only through the registry, with the login the driver passes along with the service.
const swarm = await requireEngine('swarm');
const registryBinaries = await requireRegistry({ auth: true });
const script = `${REPO_ROOT}scripts/docker/ensure-swarm-nodes.sh`;

async function runningTasks(docker: Dockerode, service: string): Promise<TaskInfo[]> {
  const tasks = (await docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as TaskInfo[];
  return tasks.filter((task) => task.Status?.State === 'running');
}

describe.skipIf(!swarm || !registryBinaries)('swarm driver on a swarm of two nodes', () => {
  let manager: Dockerode;
  let managerSocket = '';
  let worker: Dockerode;
  let workerNode = '';
  let registry: TestRegistry;
  let image = '';
  const name = `sw-${RUN_ID}-two`;
  const warnings: string[] = [];
  const logger = {
    warn: (_details: unknown, message: string) => warnings.push(message),
    debug: () => undefined,
  } as unknown as DispatchLogger;

  beforeAll(async () => {
    const started = Date.now();
    // The suite of calls runs on the manager, in a container of the language stand-in.
    const images = `${localNodeImage()} ${localPythonImage()}`;
    const { stdout } = await promisify(execFile)('bash', [script], { env: { ...process.env, DISPATCH_SWARM_NODES_IMAGES: images } });
    console.log(`[timing] ensure-swarm-nodes.sh: two Ready nodes in ${Date.now() - started} ms`);
    const env = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=', 2) as [string, string]),
    );
    managerSocket = (env.DISPATCH_SWARM_NODES_MANAGER ?? '').replace('unix://', '');
    manager = new Dockerode({ socketPath: managerSocket });
    worker = new Dockerode({ socketPath: (env.DISPATCH_SWARM_NODES_WORKER ?? '').replace('unix://', '') });
    workerNode = ((await worker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    registry = await startTestRegistry({
      auth: { username: 'dispatch', password: `pw-${RUN_ID}` },
      host: env.DISPATCH_SWARM_NODES_HOST ?? '',
    });
    image = `${registry.address}/dispatch-test/idle-${RUN_ID}:1`;
    await buildIdleImage(manager, image);
    await followProgress(manager, await manager.getImage(image).push({ authconfig: registryAuthConfig(registry) }));
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    // Removes the engines with all they hold (services, containers, images), the namespaces and the bridge.
    const started = Date.now();
    await promisify(execFile)('bash', [script, '--down']);
    console.log(`[timing] ensure-swarm-nodes.sh --down: removed in ${Date.now() - started} ms`);
  }, 180_000);

  const driver = () =>
    createSwarmDriver({
      docker: manager,
      logger,
      registry: { url: registry.address, repository: 'dispatch-test', username: 'dispatch', password: registry.password ?? '' },
    });

  it("runs a function's replicas on both nodes, the worker pulling the image from the registry with the driver's login", async () => {
    await expect(worker.getImage(image).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await driver().deploy(
      deploySpec({ name, language: 'nodejs', protocol: 'funker', imageURL: image, source: Buffer.alloc(0), handler: '', replicas: 2 }),
    );
    const tasks = await eventually(
      async () => {
        const running = await runningTasks(manager, name);
        expect(new Set(running.map((task) => task.NodeID)).size).toBe(2);
        return running;
      },
      60_000,
      200,
    );
    expect(tasks.map((task) => task.NodeID)).toContain(workerNode);
    expect((await worker.getImage(image).inspect()).RepoTags).toContain(image);
  }, 90_000);

  it('replaces a task stuck on the worker through Swarm, since the manager cannot end its container', async () => {
    const network = await manager.getNetwork('dispatch').inspect();
    const stuck = (await runningTasks(manager, name)).find((task) => task.NodeID === workerNode);
    const host = stuck && taskAddress(stuck, network.Id, 'dispatch');
    expect(host).toBeDefined();
    await expect(manager.getContainer(stuck?.Status?.ContainerStatus?.ContainerID ?? '').inspect()).rejects.toMatchObject({
      statusCode: 404,
    });

    const replacer = createTaskReplacer({
      docker: manager,
      networkName: 'dispatch',
      networkId: () => Promise.resolve(network.Id),
      exclusive: (_service, operation) => operation(),
      logger,
    });
    await replacer.replace(name, host ?? '', Date.now());
    await eventually(
      async () => {
        const running = await runningTasks(manager, name);
        expect(running.map((task) => task.ID)).not.toContain(stuck?.ID);
        expect(running).toHaveLength(2);
      },
      60_000,
      200,
    );
    expect(warnings.join('\n')).toMatch(/runs where this engine cannot end it; forced an update of the service/);
    // The worker's engine ended the stuck task's container.
    await eventually(
      async () => {
        const container = await worker
          .getContainer(stuck?.Status?.ContainerStatus?.ContainerID ?? '')
          .inspect()
          .catch(() => undefined);
        expect(container?.State.Running ?? false).toBe(false);
      },
      30_000,
      200,
    );
  }, 90_000);

  /** Runs a vitest config in a container of the language stand-in on the manager's overlay network. */
  async function runInNetwork(config: string, env: Record<string, string>): Promise<void> {
    const args = [
      '-H',
      `unix://${managerSocket}`,
      'run',
      '--rm',
      '--network',
      'dispatch',
      '-v',
      `${REPO_ROOT}:${REPO_ROOT}`,
      '-v',
      `${managerSocket}:/var/run/docker.sock`,
      '-w',
      REPO_ROOT,
      ...Object.entries({ CI: process.env.CI ?? '', ...registryEnv(), ...env }).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      localNodeImage(),
      'node',
      'node_modules/vitest/vitest.mjs',
      'run',
      '--config',
      config,
    ];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.on('close', (exit) => resolve({ code: exit, output: text }));
    });
    console.log(output);
    expect(
      code,
      output
        .split('\n')
        .filter((line) => /FAIL|✗|×|Error/.test(line))
        .slice(0, 30)
        .join('\n'),
    ).toBe(0);
  }

  /** What the gateway and the driver are given to push function images where the worker can pull them. */
  const registryEnv = () => ({
    DISPATCH_NODE_IMAGE: localNodeImage(),
    DISPATCH_PYTHON_IMAGE: localPythonImage(),
    DISPATCH_REGISTRY_URL: registry.address,
    DISPATCH_REGISTRY_REPOSITORY: 'dispatch',
    DISPATCH_REGISTRY_USERNAME: registry.username ?? '',
    DISPATCH_REGISTRY_PASSWORD: registry.password ?? '',
  });

  /** Function images the worker holds: it can only have pulled them from the registry. */
  async function pulledByWorker(): Promise<string[]> {
    const tags = (await worker.listImages()).flatMap((entry) => entry.RepoTags ?? []);
    return tags.filter((tag) => tag.startsWith(`${registry.address}/dispatch/fn-`));
  }

  // The contract suite and the call tests (test/in-network), from a container on the manager's overlay network,
  // with the registry: every image the driver builds on the manager reaches the worker through it.
  it('passes the contract suite and the call tests with tasks on both nodes', async () => {
    await runInNetwork('packages/driver-swarm/test/in-network/vitest.config.ts', {
      // The load test's 100,000 runs are measured on the one-node swarm; across two nodes a fifth of them shows the same.
      DISPATCH_TEST_SWARM_LOAD_RUNS: '20000',
    });
    expect((await pulledByWorker()).length).toBeGreaterThan(0);
  }, 1_200_000);

  // The seed's quickstart (swarm/test/in-network): `dispatch gateway start --backend swarm` in a container on the
  // manager's overlay network, the CLI beside it, and hello's two replicas on both nodes.
  it("replays the seed's quickstart through the gateway and the CLI, the function's replicas on both nodes", async () => {
    await ensureCliBuilt();
    const before = await pulledByWorker();
    await runInNetwork('swarm/test/in-network/vitest.config.ts', {});
    expect((await pulledByWorker()).filter((tag) => tag.includes('/fn-hello') && !before.includes(tag))).toHaveLength(1);
  }, 900_000);
});
