import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDispatch, openSqliteStore } from '@dispatch/core';
import type { Dispatch, DispatchFunction } from '@dispatch/core';
import { packSource } from '@dispatch/core/source';
import { createLocalDriver } from '../src/index.js';

// Each call takes 100 ms and answers its own input, so a lost or crossed reply shows.
const SLOW_JS = `module.exports = async (context, payload) => { await new Promise((r) => setTimeout(r, 100)); return { echo: payload }; };\n`;
const IDLE_MS = 600;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `concurrency` callers in a loop until `until()`; answers how many calls failed or came back wrong. */
async function load(dispatch: Dispatch, name: string, concurrency: number, until: () => boolean): Promise<{ calls: number; bad: string[] }> {
  let calls = 0;
  const bad: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; !until(); i++) {
        const input = { worker, i };
        const run = await dispatch.runs.execute(name, input).catch((error: Error) => ({ error, output: undefined }));
        calls++;
        if (run.error || JSON.stringify(run.output) !== JSON.stringify({ echo: input })) bad.push(JSON.stringify(run.error ?? run.output));
      }
    }),
  );
  return { calls, bad };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('autoscaling on the local backend', () => {
  let dataDir: string;
  let storeDir: string;
  let dispatch: Dispatch;
  let source: string;
  let driver: ReturnType<typeof createLocalDriver>;
  const desired = async (name: string) => (await driver.status(name)).replicas.desired;

  async function start(): Promise<void> {
    driver = createLocalDriver({ dataDir });
    dispatch = await createDispatch({ driver, store: openSqliteStore(storeDir), autoscale: { idleMs: IDLE_MS } });
  }

  async function deploy(fn: Partial<DispatchFunction> & { name: string }): Promise<void> {
    await dispatch.functions.create({ image: 'nodejs', source, handler: 'slow.js', ...fn });
    await dispatch.functions.waitUntilReady(fn.name, { timeoutMs: 60_000 });
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dispatch-autoscale-'));
    storeDir = join(dataDir, 'store');
    await writeFile(join(dataDir, 'slow.js'), SLOW_JS);
    source = (await packSource(join(dataDir, 'slow.js'))).toString('base64');
    await start();
  }, 90_000);

  afterAll(async () => {
    await dispatch?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('scales out under 64 concurrent slow calls, loses none, and returns to the minimum after the idle window', async () => {
    await deploy({ name: 'busy', minReplicas: 1, maxReplicas: 8, targetConcurrency: 4 });
    expect(await desired('busy')).toBe(1);
    let peak = 0;
    let loading = true;
    const watcher = (async () => {
      while (loading) {
        peak = Math.max(peak, await desired('busy'));
        await sleep(25);
      }
    })();
    const heavyUntil = Date.now() + 3000;
    const heavy = await load(dispatch, 'busy', 64, () => Date.now() > heavyUntil);
    expect(heavy.bad).toEqual([]);
    expect(heavy.calls).toBeGreaterThan(64);
    // Light load while the replicas go away: the calls on a retiring process still finish.
    let light = true;
    const during = load(dispatch, 'busy', 2, () => !light);
    await waitFor(async () => (await desired('busy')) === 1, 10 * IDLE_MS);
    light = false;
    loading = false;
    await watcher;
    expect((await during).bad).toEqual([]);
    expect(peak).toBe(8);
    expect((await driver.status('busy')).replicas.ready).toBe(1);
  }, 90_000);

  it('stops every process of an idle function at minReplicas 0, and the next calls wait for one to start', async () => {
    await deploy({ name: 'sleepy', minReplicas: 0, maxReplicas: 2, targetConcurrency: 4 });
    await waitFor(async () => (await driver.status('sleepy')).replicas.ready === 0, 10 * IDLE_MS);
    expect(await desired('sleepy')).toBe(0);
    const scale = vi.spyOn(driver, 'scale');
    const runs = await Promise.all([1, 2, 3].map((i) => dispatch.runs.execute('sleepy', { i })));
    for (const [index, run] of runs.entries()) {
      expect(run.error).toBeUndefined();
      expect(run.output).toEqual({ echo: { i: index + 1 } });
      expect(run.coldStartMs).toBeGreaterThan(0);
    }
    // The three held calls shared one scale-up.
    expect(scale.mock.calls).toEqual([['sleepy', 1]]);
    scale.mockRestore();
  }, 60_000);

  it('holds a call made right after a restart until its function is deployed again, then serves it', async () => {
    await dispatch.close();
    await start();
    // Reconciliation redeploys the functions (the local backend's processes ended with the gateway).
    expect((await dispatch.functions.get('busy')).status).toBe('CREATING');
    const run = await dispatch.runs.execute('busy', { after: 'restart' });
    expect(run.error).toBeUndefined();
    expect(run.output).toEqual({ echo: { after: 'restart' } });
    expect(run.coldStartMs).toBeGreaterThan(0);
  }, 60_000);
});
