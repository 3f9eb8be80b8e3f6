import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll } from 'vitest';
import { createDispatch, openSqliteStore } from '@dispatch/core';
import type { Dispatch } from '@dispatch/core';
import { autoscaleSuite, requireEngine } from '@dispatch/driver-testkit';
import { createSwarmDriver, swarmDriverOptionsFromEnv } from '../../src/index.js';
import { RUN_ID, removeImages, testBuilder } from '../helpers.js';

const swarm = await requireEngine('swarm');
const docker = new Dockerode();
const IDLE_MS = 3000;
const prefix = `as-${RUN_ID}`;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dispatch-autoscale-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  if (swarm) await removeImages(docker, [`dispatch/fn-${prefix}`]);
}, 60_000);

const waitReady = async (wait: Promise<unknown>) => void (await wait);

if (swarm) {
  autoscaleSuite({
    name: 'swarm',
    idleMs: IDLE_MS,
    namePrefix: prefix,
    timeoutScale: 2,
    async start() {
      // Each start is a gateway restart: the store stays, and the services keep running in the Swarm.
      const driver = createSwarmDriver({ ...swarmDriverOptionsFromEnv(), docker, builder: testBuilder(docker) });
      const dispatch = await createDispatch({
        driver,
        store: openSqliteStore(join(dataDir, 'store')),
        seedDefaults: false,
        autoscale: { idleMs: IDLE_MS },
      });
      return { dispatch, driver };
    },
    async prepareImage(dispatch: Dispatch) {
      const imageURL = dispatch.driver.defaultBaseImages?.().nodejs ?? 'dispatch/nodejs-base';
      await dispatch.baseImages.create({ name: `${prefix}-base`, imageURL, language: 'nodejs' });
      await waitReady(dispatch.baseImages.waitUntilReady(`${prefix}-base`, { timeoutMs: 240_000 }));
      await dispatch.images.create({ name: `${prefix}-node`, baseImage: `${prefix}-base` });
      await waitReady(dispatch.images.waitUntilReady(`${prefix}-node`, { timeoutMs: 240_000 }));
      return `${prefix}-node`;
    },
    async cleanup(dispatch: Dispatch) {
      await dispatch.images.delete(`${prefix}-node`).catch(() => undefined);
      await dispatch.baseImages.delete(`${prefix}-base`).catch(() => undefined);
    },
  });
}
