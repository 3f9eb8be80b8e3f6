import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDispatch, openSqliteStore } from '@dispatch/core';
import type { Dispatch } from '@dispatch/core';
import { packSource } from '@dispatch/core/source';
import { createLocalDriver } from '../src/index.js';

const HELLO_JS = fileURLToPath(new URL('../../../examples/nodejs/hello.js', import.meta.url));

// Core asks the driver to scale, not to deploy again, when an update changes nothing but the replica count.
describe('an update of the replica count alone', () => {
  let dataDir: string;
  let dispatch: Dispatch;
  const driver = { current: undefined as ReturnType<typeof createLocalDriver> | undefined };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dispatch-scale-'));
    driver.current = createLocalDriver({ dataDir });
    dispatch = await createDispatch({ driver: driver.current, store: openSqliteStore(':memory:') });
    await dispatch.functions.create({
      name: 'hello',
      image: 'nodejs',
      source: (await packSource(HELLO_JS)).toString('base64'),
      handler: 'hello.js',
    });
    await dispatch.functions.waitUntilReady('hello', { timeoutMs: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await dispatch?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('scales the running function without deploying it again, and it keeps answering', async () => {
    const deploy = vi.spyOn(driver.current!, 'deploy');
    const scale = vi.spyOn(driver.current!, 'scale');
    await dispatch.functions.update('hello', { replicas: 2 });
    const fn = await dispatch.functions.waitUntilReady('hello', { timeoutMs: 60_000 });
    expect(fn.replicas).toBe(2);
    expect(scale).toHaveBeenCalledWith('hello', 2);
    expect(deploy).not.toHaveBeenCalled();
    expect((await driver.current!.status('hello')).replicas.desired).toBe(2);
    const run = await dispatch.runs.execute('hello', { name: 'you' });
    expect(run.error).toBeUndefined();
  }, 90_000);

  it('deploys again when another field changes with it', async () => {
    const deploy = vi.spyOn(driver.current!, 'deploy');
    await dispatch.functions.update('hello', { replicas: 1, timeout: 5000 });
    await dispatch.functions.waitUntilReady('hello', { timeoutMs: 60_000 });
    expect(deploy).toHaveBeenCalledTimes(1);
  }, 90_000);
});
