import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packSource } from '@dispatch/core';
import type { Run } from '@dispatch/core';
import { freePort, isolatedPostgresUrl, postgresTestUrl } from '@dispatch/driver-testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, GatewayProcess } from './gateway-process.js';

// Async runs survive kill -9 of the gateway: every run submitted (with an Idempotency-Key, retried by the client
// until it is acknowledged) ends exactly once, READY or dead-lettered, checked run by run.
const RUNS = Number(process.env.DISPATCH_CRASH_TEST_RUNS ?? 10_000);
/** One run in ten goes to a function that always fails, and must end in the dead letters. */
const FAILING_EVERY = 10;

const ECHO = 'module.exports = function (context, payload) { return { echo: payload.i }; };';
const FAILS = "module.exports = function () { throw new Error('always fails'); };";

const QUEUE_ENV = {
  DISPATCH_QUEUE_LEASE_MS: '2000',
  DISPATCH_QUEUE_CONCURRENCY: '64',
  DISPATCH_QUEUE_PER_FUNCTION: '48',
  DISPATCH_RETRY_BACKOFF_MS: '100',
  DISPATCH_RUN_ATTEMPTS: '10',
  DISPATCH_RUN_HISTORY: String(RUNS * 2),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await buildGateway();
}, 600_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function gateway(env: Record<string, string>): Promise<GatewayProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-crash-'));
  const instance = new GatewayProcess(await freePort(), { ...QUEUE_ENV, DISPATCH_DATA_DIR: dataDir, ...env });
  cleanups.push(async () => {
    await instance.kill();
    await rm(dataDir, { recursive: true, force: true });
  });
  return instance;
}

async function post(target: GatewayProcess, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return target.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function createFunctions(target: GatewayProcess): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dispatch-crash-source-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  for (const [name, code] of [
    ['echo', ECHO],
    ['fails', FAILS],
  ] as const) {
    await writeFile(join(dir, `${name}.js`), code);
    const source = (await packSource(join(dir, `${name}.js`))).toString('base64');
    const response = await post(target, '/v1/function', { name, image: 'nodejs', source });
    expect(response.status, await response.clone().text()).toBe(201);
  }
  await functionsReady(target);
}

async function functionsReady(target: GatewayProcess): Promise<void> {
  for (const name of ['echo', 'fails']) {
    for (let i = 0; ; i++) {
      const fn = (await (await target.fetch(`/v1/function/${name}`)).json()) as { status: string };
      if (fn.status === 'READY') break;
      if (i > 600) throw new Error(`function ${name} never became READY`);
      await sleep(100);
    }
  }
}

/**
 * Submits RUNS async runs through whichever of `targets` is up, 32 at a time, each retried with its Idempotency-Key
 * until a gateway acknowledges it (202), and calls `onProgress` with the count acknowledged. Answers run id by key.
 */
async function submitAll(targets: GatewayProcess[], onProgress: (acknowledged: number) => Promise<void>): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  let next = 0;
  let turn = 0;
  async function submitter(): Promise<void> {
    while (next < RUNS) {
      const i = next++;
      const functionName = i % FAILING_EVERY === 0 ? 'fails' : 'echo';
      for (;;) {
        const target = targets[turn++ % targets.length] as GatewayProcess;
        const response = await post(
          target,
          `/v1/runs?functionName=${functionName}`,
          { blocking: false, input: { i }, maxAttempts: functionName === 'fails' ? 2 : undefined },
          { 'idempotency-key': `run-${i}` },
        ).catch(() => undefined);
        if (response?.status === 202) {
          ids.set(i, ((await response.json()) as Run).id);
          break;
        }
        await response?.body?.cancel();
        await sleep(50);
      }
      await onProgress(ids.size);
    }
  }
  await Promise.all(Array.from({ length: 32 }, submitter));
  return ids;
}

/** Waits until every run has finished, then checks each one. */
async function checkEveryRun(target: GatewayProcess, ids: Map<number, string>): Promise<void> {
  expect(new Set(ids.values()).size).toBe(RUNS);
  const pending = new Set(ids.keys());
  const deadline = Date.now() + 600_000;
  const runs = new Map<number, Run>();
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.size} runs never finished, e.g. ${ids.get([...pending][0] as number)}`);
    for (const i of [...pending]) {
      const run = (await (await target.fetch(`/v1/runs/${ids.get(i)}`)).json()) as Run;
      if (run.status === 'READY' || run.status === 'ERROR') {
        runs.set(i, run);
        pending.delete(i);
      }
    }
    if (pending.size > 0) await sleep(500);
  }
  for (const [i, run] of runs) {
    if (i % FAILING_EVERY === 0) {
      expect(run, `run ${i}`).toMatchObject({ functionName: 'fails', status: 'ERROR', deadLettered: true, dedupeKey: `run-${i}` });
      // Two attempts that failed, plus one for each time a killed gateway was running it.
      expect(run.attempts, `run ${i}`).toBeGreaterThanOrEqual(2);
      expect(run.reason, `run ${i}`).toMatch(/^dead-lettered after \d+ attempts: FunctionError: .*always fails/);
    } else {
      expect(run, `run ${i}`).toMatchObject({ functionName: 'echo', status: 'READY', output: { echo: i }, dedupeKey: `run-${i}` });
    }
  }
  // Nothing more than those runs: no run was stored twice for one submission.
  for (const name of ['echo', 'fails']) {
    const listed: Run[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await (await target.fetch(`/v1/runs?functionName=${name}&limit=1000&offset=${offset}`)).json()) as Run[];
      listed.push(...page);
      if (page.length < 1000) break;
    }
    expect(listed.length).toBe(name === 'fails' ? Math.ceil(RUNS / FAILING_EVERY) : RUNS - Math.ceil(RUNS / FAILING_EVERY));
  }
}

describe('async runs across crashes', () => {
  it(`finishes every one of ${RUNS} async runs exactly once although the gateway is killed (kill -9) three times`, async () => {
    const single = await gateway({});
    await single.start();
    await createFunctions(single);
    const kills = [0.25, 0.5, 0.75].map((share) => Math.floor(RUNS * share));
    let restarting: Promise<void> | undefined;
    const ids = await submitAll([single], async (acknowledged) => {
      if (restarting || kills[0] === undefined || acknowledged < kills[0]) return restarting;
      kills.shift();
      restarting = (async () => {
        await single.kill();
        await single.start();
      })();
      await restarting;
      restarting = undefined;
    });
    expect(kills).toEqual([]);
    await checkEveryRun(single, ids);
  }, 900_000);

  const postgres = postgresTestUrl();
  it.skipIf(postgres === undefined)(
    `finishes every one of ${RUNS} async runs with two gateways on one PostgreSQL, one of them killed`,
    async () => {
      const { url, drop } = await isolatedPostgresUrl(postgres as string);
      cleanups.push(drop);
      const first = await gateway({ DISPATCH_STORE_URL: url });
      await first.start();
      await createFunctions(first);
      const second = await gateway({ DISPATCH_STORE_URL: url });
      await second.start();
      // The second gateway deployed the functions on its own local backend; wait until they are READY again.
      await functionsReady(second);
      let killed = false;
      const ids = await submitAll([first, second], async (acknowledged) => {
        if (killed || acknowledged < RUNS / 2) return;
        killed = true;
        await first.kill();
      });
      expect(killed).toBe(true);
      await checkEveryRun(second, ids);
    },
    900_000,
  );
});
