import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEnvelope } from '@dispatch/core/driver';
import { deploySpec, eventually, plainImage, requireEngine } from '@dispatch/driver-testkit';
import { createSwarmDriver, swarmDriverOptionsFromEnv } from '../../src/index.js';
import { RUN_ID, packTestFixture, removeImages, testBuilder } from '../helpers.js';

const RUNS = Number(process.env.DISPATCH_TEST_SWARM_LOAD_RUNS ?? 100_000);
const CONCURRENCY = 64;
/** Tasks killed during the load, spread evenly over its runs (by progress, not time: a fast machine ends sooner). */
const KILLS = 4;
const KILL_STEP = Math.floor(RUNS / (KILLS + 1));

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

  it(`answers ${RUNS} runs at concurrency ${CONCURRENCY}, each with its own reply, while a task is killed every ${KILL_STEP} runs`, async () => {
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
    let nextKillAt = KILL_STEP;
    let killing: Promise<void> | undefined;
    const killOneTask = (): void => {
      if (killing !== undefined || kills >= KILLS || answered < nextKillAt) return;
      killing = (async () => {
        const [victim] = await runningContainers(name);
        if (victim === undefined) return;
        // SIGKILL: the task's calls in flight die with it; Swarm starts another task.
        await docker
          .getContainer(victim)
          .kill()
          .catch(() => undefined);
        kills++;
        nextKillAt += KILL_STEP;
      })().finally(() => (killing = undefined));
    };
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < RUNS) {
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
      `[load] ${RUNS} runs in ${seconds.toFixed(1)} s (${Math.round(RUNS / seconds)} runs/s), ${kills} tasks killed, ${failed.length} failed`,
    );
    expect(wrong).toBe(0);
    // A call in flight on a killed task is tried once more on another task (at-least-once across a dying task).
    expect(failed.slice(0, 5)).toEqual([]);
    expect(answered).toBe(RUNS);
    expect(kills).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
