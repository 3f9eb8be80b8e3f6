import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEnvelope } from '@dispatch/core/driver';
import { deploySpec, eventually, plainImage, requireEngine } from '@dispatch/driver-testkit';
import { createSwarmDriver, swarmDriverOptionsFromEnv } from '../../src/index.js';
import { RUN_ID, packTestFixture, removeImages, testBuilder } from '../helpers.js';

const RUNS = Number(process.env.DISPATCH_TEST_SWARM_LOAD_RUNS ?? 100_000);
const CONCURRENCY = 64;
/**
 * A task is killed every few seconds, as a node or a container fails in production: often enough that calls are
 * in flight on every killed task, and not so often that a call sent again after one kill meets the next (a call
 * is sent again once, on another task). At least MIN_KILLS happen: a fast machine keeps calling until they have.
 */
const KILL_EVERY_MS = 2500;
const MIN_KILLS = 2;
const MAX_KILLS = 4;
/** However the kills go, the load stops after this long. */
const LOAD_LIMIT_MS = 200_000;

const swarm = await requireEngine('swarm');
const docker = new Dockerode();

/** The containers of a service's running tasks. */
async function runningContainers(name: string): Promise<string[]> {
  const tasks = (await docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })) as Array<{
    Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
  }>;
  return tasks
    .filter((task) => task.Status?.State === 'running')
    .map((task) => task.Status?.ContainerStatus?.ContainerID ?? '')
    .filter(Boolean);
}

describe.skipIf(!swarm)('swarm backend under load', () => {
  const driver = createSwarmDriver({ ...swarmDriverOptionsFromEnv(), docker, builder: testBuilder(docker) });
  const name = `sw-${RUN_ID}-load`;

  afterAll(async () => {
    await driver.remove(name);
    await driver.dispose();
    await removeImages(docker, [`dispatch/fn-sw-${RUN_ID}`]);
  }, 60_000);

  it(`answers ${RUNS} runs at concurrency ${CONCURRENCY}, each with its own reply, while a task is killed every ${KILL_EVERY_MS / 1000} s`, async () => {
    const image = await plainImage(driver, 'nodejs');
    // The reply is derived from the input, so a reply given to the wrong call shows.
    await driver.deploy(
      deploySpec({ name, language: 'nodejs', imageURL: image, source: await packTestFixture('echo'), handler: 'handler.js', replicas: 3 }),
    );
    await eventually(async () => expect(await driver.status(name)).toMatchObject({ ready: true, replicas: { ready: 3 } }), 90_000, 200);

    let next = 0;
    let answered = 0;
    let wrong = 0;
    const failed: Array<RunEnvelope['context']['error'] | string> = [];
    let kills = 0;
    const startedAt = Date.now();
    let nextKillAt = startedAt + KILL_EVERY_MS;
    let killing: Promise<void> | undefined;
    const killOneTask = (): void => {
      if (killing !== undefined || kills >= MAX_KILLS || Date.now() < nextKillAt) return;
      killing = (async () => {
        const [victim] = await runningContainers(name);
        if (victim === undefined) return;
        // SIGKILL: the task's calls in flight die with it; Swarm starts another task.
        await docker
          .getContainer(victim)
          .kill()
          .catch(() => undefined);
        kills++;
        nextKillAt = Date.now() + KILL_EVERY_MS;
      })().finally(() => (killing = undefined));
    };
    const more = (): boolean => next < RUNS || (kills < MIN_KILLS && Date.now() - startedAt < LOAD_LIMIT_MS);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (more()) {
          const n = next++;
          try {
            const request = { context: { secrets: {}, timeout: 0, functionName: name }, payload: { n } };
            const reply = await driver.invoke(name, request, { deadline: Date.now() + 30_000 });
            answered++;
            killOneTask();
            if (reply.context.error !== undefined) failed.push(reply.context.error);
            else if (JSON.stringify(reply.payload) !== JSON.stringify({ n, square: n * n })) wrong++;
          } catch (error) {
            failed.push(error instanceof Error ? error.message : String(error));
          }
        }
      }),
    );
    await killing;
    const seconds = (Date.now() - startedAt) / 1000;
    console.log(
      `[load] ${next} runs in ${seconds.toFixed(1)} s (${Math.round(next / seconds)} runs/s), ${kills} tasks killed, ${failed.length} failed`,
    );
    expect(wrong).toBe(0);
    // A call in flight on a killed task is tried once more on another task (at-least-once across a dying task).
    expect(failed.slice(0, 5)).toEqual([]);
    expect(answered).toBe(next);
    expect(answered).toBeGreaterThanOrEqual(RUNS);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
  }, 300_000);
});
