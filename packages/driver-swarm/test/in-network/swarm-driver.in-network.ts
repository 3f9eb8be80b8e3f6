import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '@dispatch/core/driver';
import { registryFromEnv, registryPrefix } from '@dispatch/registry-builder';
import { callFunction, deploySpec, driverContract, eventually, followProgress, plainImage, requireEngine } from '@dispatch/driver-testkit';
import { createSwarmDriver, swarmDriverOptionsFromEnv } from '../../src/index.js';
import { RUN_ID, buildOneShotImage, packTestFixture, removeImages, testBuilder } from '../helpers.js';

const swarm = await requireEngine('swarm');
const docker = new Dockerode();
const createDriver = (): Driver => createSwarmDriver({ ...swarmDriverOptionsFromEnv(), docker, builder: testBuilder(docker) });

afterAll(async () => {
  if (swarm) await removeImages(docker, [`dispatch/fn-contract-${RUN_ID}`, `dispatch/fn-sw-${RUN_ID}`, `dispatch-test/oneshot-${RUN_ID}`]);
  // With a registry (on the swarm of two nodes) images are named after it: that swarm is removed with all it holds.
}, 60_000);

if (swarm) driverContract({ name: 'swarm', createDriver, timeoutScale: 2, namePrefix: `contract-${RUN_ID}` });

interface RunningTask {
  id: string;
  node: string;
  container: string;
}

/** A service's running tasks, on whichever node (this suite also runs on a swarm of two nodes). */
async function runningTasks(name: string): Promise<RunningTask[]> {
  const tasks = (await docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })) as Array<{
    ID?: string;
    NodeID?: string;
    Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
  }>;
  return tasks
    .filter((task) => task.Status?.State === 'running')
    .map((task) => ({ id: task.ID ?? '', node: task.NodeID ?? '', container: task.Status?.ContainerStatus?.ContainerID ?? '' }));
}

const taskIds = async (name: string): Promise<string[]> => (await runningTasks(name)).map((task) => task.id);

/** An image this engine built, where every node gets it: pushed to the registry the driver uses, when there is one. */
async function everywhere(image: string): Promise<string> {
  const registry = registryFromEnv();
  if (registry === undefined) return image;
  const target = `${registryPrefix(registry)}${image.replace(/^[^/]*\//, '')}`;
  await docker.getImage(image).tag({ repo: target.slice(0, target.lastIndexOf(':')), tag: target.slice(target.lastIndexOf(':') + 1) });
  const auth = {
    username: registry.username ?? '',
    password: registry.password ?? '',
    serveraddress: registryPrefix(registry).split('/')[0],
  };
  await followProgress(docker, await docker.getImage(target).push({ authconfig: auth }));
  return target;
}

describe.skipIf(!swarm)('swarm driver on the overlay network', () => {
  let driver: Driver;
  let nodeImage: string;
  const spread = `sw-${RUN_ID}-spread`;
  const oneshot = `sw-${RUN_ID}-oneshot`;
  const hang = `sw-${RUN_ID}-hang`;

  beforeAll(async () => {
    driver = createDriver();
    nodeImage = await plainImage(driver, 'nodejs');
  }, 180_000);

  afterAll(async () => {
    for (const name of [spread, oneshot, hang]) await driver.remove(name);
    await driver.dispose();
  }, 60_000);

  const ready = (name: string, replicas: number): Promise<void> =>
    eventually(
      async () => {
        const status = await driver.status(name);
        expect(status).toMatchObject({ ready: true, replicas: { desired: replicas, ready: replicas } });
      },
      90_000,
      200,
    );

  it('spreads calls over at least 2 of 3 replicas', async () => {
    const started = Date.now();
    const source = await packTestFixture('hostname');
    await driver.deploy(deploySpec({ name: spread, language: 'nodejs', imageURL: nodeImage, source, handler: 'handler.js', replicas: 3 }));
    await ready(spread, 3);
    console.log(`[timing] ${spread}: deploy (build + create) to READY with 3 replicas in ${Date.now() - started} ms`);
    const hosts = new Set<string>();
    const latencies: number[] = [];
    for (let i = 0; i < 30; i++) {
      const callStarted = performance.now();
      const envelope = await callFunction(driver, spread, { i });
      latencies.push(performance.now() - callStarted);
      expect(envelope.context.error).toBeUndefined();
      hosts.add((envelope.payload as { hostname: string }).hostname);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `[timing] ${spread}: call latency p50 ${latencies[15]?.toFixed(1)} ms, p90 ${latencies[27]?.toFixed(1)} ms over ${hosts.size} containers`,
    );
    expect(hosts.size).toBeGreaterThanOrEqual(2);
  });

  it("loses no call when a task's container is removed under a steady load, and Swarm replaces it", async () => {
    const before = await runningTasks(spread);
    expect(before).toHaveLength(3);
    // This engine can remove only the containers of its own node.
    const self = ((await docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const victim = before.find((task) => task.node === self) as RunningTask;
    let stop = false;
    let calls = 0;
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          const envelope = await callFunction(driver, spread, { load: true }, { deadlineMs: 20_000 });
          if (envelope.context.error !== undefined) failures.push(envelope.context.error);
          calls++;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await docker.getContainer(victim.container).remove({ force: true });
    await eventually(
      async () => {
        const now = await taskIds(spread);
        expect(now).toHaveLength(3);
        expect(now).not.toContain(victim.id);
      },
      60_000,
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop = true;
    await Promise.all(workers);
    console.log(`[load] ${calls} calls while a container was removed and replaced; ${failures.length} failed`);
    expect(failures.map((failure) => (failure instanceof Error ? `${failure.name}: ${failure.message}` : JSON.stringify(failure)))).toEqual(
      [],
    );
    expect(calls).toBeGreaterThan(50);
    await ready(spread, 3);
  }, 120_000);

  it('answers repeated calls of a plain funker function that exits after each call', async () => {
    const image = await everywhere(await buildOneShotImage(docker, `dispatch-test/oneshot-${RUN_ID}:1`));
    await driver.deploy(
      deploySpec({
        name: oneshot,
        language: 'nodejs',
        protocol: 'funker',
        imageURL: image,
        source: Buffer.alloc(0),
        handler: '',
        replicas: 1,
      }),
    );
    await ready(oneshot, 1);
    const hosts = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const envelope = await callFunction(driver, oneshot, { name: `caller ${i}` });
      expect(envelope.context.error).toBeUndefined();
      expect(envelope.payload).toMatchObject({ greeting: `Hello, caller ${i}` });
      expect(envelope.context.logs).toEqual({ stdout: [], stderr: [] });
      hosts.add((envelope.payload as { host: string }).host);
      console.log(`[timing] one-shot funker call ${i}: ${Date.now() - started} ms`);
    }
    // Each call was served by a new container (the task restarted after every call).
    expect(hosts.size).toBe(5);
  }, 120_000);

  it('answers a function stuck in a loop with a FunctionError at the deadline, replaces its task, and keeps serving', async () => {
    const source = await packTestFixture('hang');
    await driver.deploy(deploySpec({ name: hang, language: 'nodejs', imageURL: nodeImage, source, handler: 'handler.js', timeout: 1000 }));
    await ready(hang, 1);
    const [stuck] = await taskIds(hang);
    expect(stuck).toBeDefined();
    const started = Date.now();
    const envelope = await callFunction(driver, hang, { hang: true }, { timeoutMs: 1000, deadlineMs: 2500 });
    console.log(`[timing] ${hang}: the stuck call answered after ${Date.now() - started} ms`);
    // Answered at its deadline (2.5 s), after at most a second's wait for the stuck task's kill, with room for a
    // busy engine (on a loaded machine, with the task on the second node, this took 5.0 s).
    expect(Date.now() - started).toBeLessThan(7000);
    expect(envelope.context.error).toEqual({ type: 'FunctionError', message: 'function timed out after 1000 ms' });
    const other = await callFunction(driver, spread, { after: 'hang' });
    expect(other.context.error).toBeUndefined();

    // The stuck task was killed: the next call reaches the task Swarm started instead, within seconds.
    const timedOutAt = Date.now();
    const next = await callFunction(driver, hang, { hang: false }, { deadlineMs: 15_000 });
    console.log(`[timing] ${hang}: next call answered ${Date.now() - timedOutAt} ms after the timeout`);
    expect(next.context.error).toBeUndefined();
    expect(next.payload).toEqual({ ok: true });
    expect(Date.now() - timedOutAt).toBeLessThan(10_000);
    // Swarm may report the new task as running a moment after its container first answers.
    await expect.poll(() => taskIds(hang), { timeout: 10_000, interval: 200 }).toHaveLength(1);
    expect(await taskIds(hang)).not.toContain(stuck);
    await ready(hang, 1);
  }, 120_000);
});
