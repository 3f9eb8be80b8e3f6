import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { deploySpec, eventually, fixtureHandler, packFixture, plainImage } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';
import { servers } from './support/spares.js';

const bwrapWorks = spawnSync('bwrap', ['--version']).status === 0;
if (!bwrapWorks && process.env.CI === 'true') throw new Error('bubblewrap (bwrap) is needed on CI: .ci/run installs it');

let dataDir = '';

afterAll(async () => {
  if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
});

// Own file, as exit-hook.test.ts: the hook kills every child this process started. A spare waiting for a function
// is such a child too: the gateway exiting without dispose() must not leave it behind.
it.skipIf(!bwrapWorks)(
  'kills the waiting spares when the gateway process exits without dispose()',
  async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dispatch-spare-exit-'));
    const before = new Set(process.listeners('exit'));
    const driver = createLocalDriver({ dataDir, sandbox: 'required' });
    const image = await plainImage(driver, 'nodejs');
    const source = await packFixture('nodejs');
    await driver.deploy(deploySpec({ name: 'a', language: 'nodejs', imageURL: image, source, handler: fixtureHandler('nodejs') }));
    const spare = await eventually(() => {
      const { waiting } = servers();
      expect(waiting).toHaveLength(1);
      return waiting[0] as number;
    }, 30_000);

    const hooks = process.listeners('exit').filter((listener) => !before.has(listener));
    expect(hooks).toHaveLength(1);
    (hooks[0] as () => void)();
    await eventually(() => expect(existsSync(`/proc/${spare}`)).toBe(false), 5000);
    await driver.dispose();
  },
  60_000,
);
