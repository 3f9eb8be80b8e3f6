import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Dispatch, Driver } from '@dispatch/core';
import { fixtureHandler, packFixture } from './fixtures.js';

export interface AutoscaleSuiteOptions {
  /** The backend, for the suite's title. */
  name: string;
  /**
   * Starts Dispatch over a new driver, on the same store every time (called again for a gateway restart), with
   * `autoscale.idleMs` set to `idleMs`. The previous Dispatch is closed first.
   */
  start(): Promise<{ dispatch: Dispatch; driver: Driver }>;
  /** Makes the image the functions run on (an Image entity of language nodejs) and answers its name. */
  prepareImage(dispatch: Dispatch): Promise<string>;
  idleMs: number;
  /** Prefix of the functions' names, unique to the test run. */
  namePrefix: string;
  /** Multiplies the waits, for slower backends. */
  timeoutScale?: number;
  /** True when a restart redeploys every function (the local backend's processes end with it): the call then waits. */
  restartRedeploys?: boolean;
  /** Removes what `prepareImage` made, before Dispatch closes. */
  cleanup?(dispatch: Dispatch): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls in a loop from `concurrency` callers until `done()`; each 100 ms call must answer its own input. */
async function load(dispatch: Dispatch, name: string, concurrency: number, done: () => boolean): Promise<{ calls: number; bad: string[] }> {
  let calls = 0;
  const bad: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; !done(); i++) {
        const value = `${worker}-${i}`;
        const run = await dispatch.runs
          .execute(name, { action: 'echo', delayMs: 100, value })
          .catch((error: Error) => ({ error, output: undefined }));
        calls++;
        if (run.error || (run.output as { value?: string } | null)?.value !== value) bad.push(JSON.stringify(run.error ?? run.output));
      }
    }),
  );
  return { calls, bad };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Autoscaling against a real backend: 64 concurrent slow calls scale a function out and back with none lost,
 * a function at `minReplicas: 0` stops and starts again for the next calls, and a call made right after a
 * restart is served.
 */
export function autoscaleSuite(options: AutoscaleSuiteOptions): void {
  const scale = options.timeoutScale ?? 1;
  const { idleMs } = options;
  const busy = `${options.namePrefix}-busy`;
  const sleepy = `${options.namePrefix}-sleepy`;

  describe(`autoscaling on the ${options.name} backend`, () => {
    let dispatch: Dispatch;
    let driver: Driver;
    let image: string;
    let source: string;
    const status = (name: string) => driver.status(name);

    beforeAll(async () => {
      ({ dispatch, driver } = await options.start());
      image = await options.prepareImage(dispatch);
      source = (await packFixture('nodejs')).toString('base64');
    }, 300_000 * scale);

    afterAll(async () => {
      for (const name of [busy, sleepy]) await dispatch?.functions.delete(name).catch(() => undefined);
      if (dispatch) await options.cleanup?.(dispatch);
      await dispatch?.close();
    }, 120_000 * scale);

    async function deploy(name: string, min: number, max: number, target: number): Promise<void> {
      await dispatch.functions.create({
        name,
        image,
        source,
        handler: fixtureHandler('nodejs'),
        minReplicas: min,
        maxReplicas: max,
        targetConcurrency: target,
      });
      await dispatch.functions.waitUntilReady(name, { timeoutMs: 120_000 * scale });
    }

    it(
      'scales out under 64 concurrent slow calls, loses none, and returns to the minimum after the idle window',
      async () => {
        await deploy(busy, 1, 8, 4);
        let peak = 0;
        let loading = true;
        const watcher = (async () => {
          while (loading) {
            peak = Math.max(peak, (await status(busy)).replicas.desired);
            await sleep(50);
          }
        })();
        const heavyUntil = Date.now() + 3000 * scale;
        const heavy = await load(dispatch, busy, 64, () => Date.now() > heavyUntil);
        expect(heavy.bad).toEqual([]);
        expect(heavy.calls).toBeGreaterThan(64);
        // A light load while the replicas go away: calls on a replica that is stopping still finish.
        let light = true;
        const during = load(dispatch, busy, 2, () => !light);
        await waitFor('back to 1 replica', async () => (await status(busy)).replicas.desired === 1, 10 * idleMs + 60_000 * scale);
        await sleep(idleMs);
        light = false;
        loading = false;
        await watcher;
        expect((await during).bad).toEqual([]);
        expect(peak).toBe(8);
        await waitFor('1 replica ready', async () => (await status(busy)).replicas.ready === 1, 60_000 * scale);
      },
      300_000 * scale,
    );

    it(
      'stops every replica of an idle function at minReplicas 0, and the next calls wait for one to start',
      async () => {
        await deploy(sleepy, 0, 2, 4);
        await waitFor(
          'scaled to zero',
          async () => {
            const { replicas } = await status(sleepy);
            return replicas.desired === 0 && replicas.ready === 0;
          },
          10 * idleMs + 60_000 * scale,
        );
        const scaleCalls = vi.spyOn(driver as Required<Pick<Driver, 'scale'>>, 'scale');
        const runs = await Promise.all([1, 2, 3].map((i) => dispatch.runs.execute(sleepy, { action: 'echo', value: i })));
        for (const [index, run] of runs.entries()) {
          expect(run.error).toBeUndefined();
          expect(run.output).toEqual({ value: index + 1 });
          expect(run.coldStartMs).toBeGreaterThan(0);
        }
        // The three held calls shared one scale-up.
        expect(scaleCalls.mock.calls).toEqual([[sleepy, 1]]);
        scaleCalls.mockRestore();
        console.log(`[timing] ${options.name}: cold start from zero ${runs[0]?.coldStartMs} ms`);
      },
      300_000 * scale,
    );

    it(
      'serves a call made right after a restart, waiting for its function if it is being deployed again',
      async () => {
        await dispatch.close();
        ({ dispatch, driver } = await options.start());
        if (options.restartRedeploys) expect((await dispatch.functions.get(busy)).status).toBe('CREATING');
        const run = await dispatch.runs.execute(busy, { action: 'echo', value: 'after a restart' });
        expect(run.error).toBeUndefined();
        expect(run.output).toEqual({ value: 'after a restart' });
        if (options.restartRedeploys) expect(run.coldStartMs).toBeGreaterThan(0);
      },
      300_000 * scale,
    );
  });
}
