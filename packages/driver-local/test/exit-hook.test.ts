import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { callFunction, deploySpec, eventually, packFixture } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';

let dataDir = '';

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// The hook runs when the gateway exits without dispose(); it is called directly here, since exiting would
// end the test run. Own file: the hook kills every child this process started.
it('kills the function processes when the gateway process exits without dispose()', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dispatch-exit-'));
  const before = new Set(process.listeners('exit'));
  // Pids from inside a sandbox belong to its own pid namespace: the sandboxed case is in isolation.test.ts.
  const driver = createLocalDriver({ dataDir, sandbox: 'off' });
  await driver.deploy(
    deploySpec({
      name: 'a',
      language: 'nodejs',
      imageURL: 'dispatch/nodejs-base',
      source: await packFixture('nodejs'),
      handler: 'handler.js',
      replicas: 2,
    }),
  );
  await driver.deploy(
    deploySpec({
      name: 'b',
      language: 'python3',
      imageURL: 'dispatch/python3-base',
      source: await packFixture('python3'),
      handler: 'handler.handle',
    }),
  );
  const pids = new Set<number>();
  for (let i = 0; i < 4; i++) pids.add(((await callFunction(driver, 'a', { action: 'pid' })).payload as { pid: number }).pid);
  pids.add(((await callFunction(driver, 'b', { action: 'pid' })).payload as { pid: number }).pid);
  expect(pids.size).toBe(3);

  const hooks = process.listeners('exit').filter((listener) => !before.has(listener));
  expect(hooks).toHaveLength(1);
  (hooks[0] as () => void)();
  await eventually(() => {
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 5000);
  await driver.dispose();
});
