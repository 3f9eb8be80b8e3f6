import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createDispatch, openSqliteStore } from '@dispatch/core';
import { autoscaleSuite } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dispatch-autoscale-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

autoscaleSuite({
  name: 'local',
  idleMs: 600,
  namePrefix: 'as',
  restartRedeploys: true,
  async start() {
    // Each start is a gateway restart: the store stays, the processes of the previous driver are gone.
    const driver = createLocalDriver({ dataDir });
    const dispatch = await createDispatch({ driver, store: openSqliteStore(join(dataDir, 'store')), autoscale: { idleMs: 600 } });
    return { dispatch, driver };
  },
  prepareImage: async () => 'nodejs',
});
