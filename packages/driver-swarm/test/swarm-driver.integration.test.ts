import { spawn } from 'node:child_process';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import type { Driver } from '@dispatch/core/driver';
import { deploySpec, eventually, packFixture, requireEngine } from '@dispatch/driver-testkit';
import { createSwarmDriver } from '../src/index.js';
import { REPO_ROOT, RUN_ID, localNodeImage, removeImages, testBuilder } from './helpers.js';

const swarm = await requireEngine('swarm');
const docker = new Dockerode();

describe.skipIf(!swarm)('swarm driver on the real Swarm, from the host', () => {
  const driver: Driver = createSwarmDriver({ docker, builder: testBuilder(docker) });
  const missing = `sw-${RUN_ID}-missing`;
  const broken = `sw-${RUN_ID}-broken`;
  const network = `dispatch-test-${RUN_ID}`;

  afterAll(async () => {
    await driver.remove(missing);
    await driver.remove(broken);
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
    await removeImages(docker, [`dispatch/fn-sw-${RUN_ID}`]);
    await driver.dispose();
  }, 60_000);

  it('reports an image that does not exist as a failed function with the engine reason', async () => {
    await driver.deploy(
      deploySpec({
        name: missing,
        language: 'nodejs',
        protocol: 'funker',
        imageURL: `dispatch-test/no-such-image-${RUN_ID}:1`,
        source: Buffer.alloc(0),
        handler: '',
      }),
    );
    const status = await eventually(
      async () => {
        const current = await driver.status(missing);
        expect(current.failed).toBe(true);
        return current;
      },
      60_000,
      200,
    );
    expect(status.ready).toBe(false);
    expect(status.reason).toMatch(/^\[swarm\] function "sw-.*-missing": a task failed: No such image: dispatch-test\/no-such-image-/);
  }, 90_000);

  it("fails the deploy of a handler that cannot load with the loader's line, and status keeps it", async () => {
    const baseImages = driver.defaultBaseImages?.();
    await driver.prepareBaseImage?.({ name: 'python3-base', language: 'python3', imageURL: baseImages?.python3 ?? '' });
    const error = await driver
      .deploy(
        deploySpec({
          name: broken,
          language: 'python3',
          imageURL: baseImages?.python3 ?? '',
          source: await packFixture('python3-broken'),
          handler: 'handler.handle',
        }),
      )
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^\[swarm\] function "sw-.*-broken": the handler cannot load: .*ModuleNotFoundError: No module named 'nope'$/,
    );
    const status = await driver.status(broken);
    expect(status).toMatchObject({ ready: false, failed: true, reason: (error as Error).message });
    expect((await driver.list?.())?.map((fn) => fn.name)).not.toContain(broken);
  }, 90_000);

  it('creates a missing network as an attachable overlay, labels services and runs them in dnsrr mode', async () => {
    const own = createSwarmDriver({ docker, network, builder: testBuilder(docker) });
    const name = `sw-${RUN_ID}-net`;
    try {
      await own.deploy(
        deploySpec({
          name,
          language: 'nodejs',
          protocol: 'funker',
          imageURL: localNodeImage(),
          source: Buffer.alloc(0),
          handler: '',
          replicas: 0,
        }),
      );
      const info = await docker.getNetwork(network).inspect();
      expect(info).toMatchObject({ Driver: 'overlay', Attachable: true });
      const service = await docker.getService(name).inspect();
      expect(service.Spec.Labels).toMatchObject({ 'dispatch.function': name, 'dispatch.revision': '1', 'dispatch.managed': 'true' });
      expect(service.Spec.EndpointSpec.Mode).toBe('dnsrr');
      expect(service.Spec.UpdateConfig.Order).toBe('start-first');
      expect(service.Spec.TaskTemplate.RestartPolicy).toMatchObject({ Condition: 'any', Delay: 100_000_000 });
      expect(await own.list?.()).toContainEqual({ name, revision: 1, replicas: 0 });
    } finally {
      await own.remove(name);
      await own.dispose();
    }
  }, 60_000);

  it('refuses to take over a Swarm service that Dispatch does not manage', async () => {
    const name = `sw-${RUN_ID}-foreign`;
    await docker.createService({
      Name: name,
      TaskTemplate: { ContainerSpec: { Image: localNodeImage() } },
      Mode: { Replicated: { Replicas: 0 } },
    });
    try {
      await expect(
        driver.deploy(
          deploySpec({ name, language: 'nodejs', protocol: 'funker', imageURL: localNodeImage(), source: Buffer.alloc(0), handler: '' }),
        ),
      ).rejects.toMatchObject({ name: 'ConflictError', code: 409 });
    } finally {
      await docker.getService(name).remove();
    }
  });

  // Functions are reachable only from the overlay network (as the gateway is, running as a Swarm service): the
  // tests that call functions run in a container attached to it, with this repository and the engine's socket.
  it('passes the contract suite and the call tests from a container on the overlay network', async () => {
    const container = `dispatch-swarm-tests-${RUN_ID}`;
    const env = [
      'CI',
      'DISPATCH_NODE_IMAGE',
      'DISPATCH_PYTHON_IMAGE',
      'DISPATCH_LOCAL_NODE_IMAGE',
      'DISPATCH_LOCAL_PYTHON_IMAGE',
      'DISPATCH_SWARM_NETWORK',
    ]
      .filter((key) => process.env[key] !== undefined)
      .flatMap((key) => ['-e', `${key}=${process.env[key]}`]);
    const args = [
      'run',
      '--rm',
      '--name',
      container,
      '--network',
      process.env.DISPATCH_SWARM_NETWORK ?? 'dispatch',
      '-v',
      `${REPO_ROOT}:${REPO_ROOT}`,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-w',
      REPO_ROOT,
      ...env,
      localNodeImage(),
      'node',
      'node_modules/vitest/vitest.mjs',
      'run',
      '--config',
      'packages/driver-swarm/test/in-network/vitest.config.ts',
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
  }, 900_000);
});
