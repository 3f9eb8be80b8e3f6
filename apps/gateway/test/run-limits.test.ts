import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RUN_LIMITS, SQLITE_STORE_FILE } from '@dispatch/core';
import type { Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';

const MiB = 1024 * 1024;
const { maxOutputBytes, maxLogBytes } = DEFAULT_RUN_LIMITS;

const FLOODS = `
const MiB = 'x'.repeat(1024 * 1024);
module.exports = async function (context, payload) {
  if (payload.print) {
    // 200 MB in 1 MiB lines: each write is one line.
    for (let i = 0; i < payload.print; i++) process.stdout.write(MiB + '\\n');
    return 'printed';
  }
  if (payload.returnMiB) return 'x'.repeat(payload.returnMiB * 1024 * 1024);
  if (payload.nested) {
    let deep = [];
    for (let i = 0; i < payload.nested; i++) deep = [deep];
    return deep;
  }
  if (payload.outside) {
    // After the call: output that reaches the gateway on the process's own stdout, without a newline.
    setTimeout(() => { for (let i = 0; i < payload.outside; i++) process.stdout.write(MiB); }, 10);
    return 'later';
  }
  return null;
};
`;

const FLOODS_PY = `
def handle(context, payload):
    line = "x" * (1024 * 1024)
    for _ in range(payload["print"]):
        print(line)
    return "printed"
`;

/** The store's files (the database and its write-ahead log). */
function storeBytes(dataDir: string): number {
  let total = 0;
  for (const file of [SQLITE_STORE_FILE, `${SQLITE_STORE_FILE}-wal`]) {
    try {
      total += statSync(join(dataDir, file)).size;
    } catch {
      // Not there (yet).
    }
  }
  return total;
}

/** The gateway's resident memory, sampled every 10 ms while `work` runs: the highest growth over the start. */
async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - start;
}

describe('limits on what a function sends back', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
    await createFunction(gateway, { name: 'floods', image: 'nodejs', sourcePath: await writeFunction(gateway, 'floods.js', FLOODS) });
    await createFunction(gateway, {
      name: 'floods-py',
      image: 'python3',
      sourcePath: await writeFunction(gateway, 'floods.py', FLOODS_PY),
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  const run = async (name: string, input: unknown): Promise<Run> => {
    const response = await gateway.request({ method: 'POST', url: `/v1/runs?functionName=${name}`, payload: { input } });
    // A run whose function failed answers 502 with the run, as every FunctionError does.
    expect([200, 502], response.body.slice(0, 500)).toContain(response.statusCode);
    return response.json<Run>();
  };

  const logBytes = (run: Run): number =>
    [...(run.logs.stdout ?? []), ...(run.logs.stderr ?? [])].reduce((sum, line) => sum + Buffer.byteLength(line), 0);

  it('keeps 1 MiB of a run that prints 200 MB, says what was cut, and the gateway and the store stay small', async () => {
    for (const name of ['floods', 'floods-py']) {
      const storeBefore = storeBytes(gateway.dataDir);
      let printed: Run | undefined;
      const growth = await peakRssGrowth(async () => {
        printed = await run(name, { print: 200 });
      });
      const result = printed as Run;
      expect(result.output).toBe('printed');
      expect(result.logs.stderr?.at(-1)).toMatch(/^\[dispatch\] \d+ bytes of output were cut: a run keeps at most 1048576 bytes of logs/);
      expect(logBytes(result)).toBeLessThanOrEqual(maxLogBytes + 200);
      expect(growth).toBeLessThan(100 * MiB);
      const stored = storeBytes(gateway.dataDir) - storeBefore;
      expect(stored).toBeLessThanOrEqual(2 * (maxLogBytes + 64 * 1024));
      console.log(
        `${name}: printed 200 MiB; run kept ${logBytes(result)} bytes of logs; store grew ${stored} bytes; gateway RSS grew at most ${(growth / MiB).toFixed(1)} MiB`,
      );
    }
  }, 120_000);

  it('fails a run that returns 100 MB with a FunctionError that gives the limit, keeping nothing of it', async () => {
    const storeBefore = storeBytes(gateway.dataDir);
    let returned: Run | undefined;
    const growth = await peakRssGrowth(async () => {
      returned = await run('floods', { returnMiB: 100 });
    });
    const result = returned as Run;
    expect(result.status).toBe('ERROR');
    expect(result.error).toMatchObject({
      type: 'FunctionError',
      message: expect.stringContaining(`${maxOutputBytes} bytes, DISPATCH_MAX_OUTPUT_BYTES`),
    });
    expect(result.output).toBeNull();
    expect(growth).toBeLessThan(100 * MiB);
    expect(storeBytes(gateway.dataDir) - storeBefore).toBeLessThanOrEqual(256 * 1024);
    console.log(`floods: returned 100 MiB; gateway RSS grew at most ${(growth / MiB).toFixed(1)} MiB`);
  }, 120_000);

  it('bounds what a process prints outside a call, even without a newline', async () => {
    const growth = await peakRssGrowth(async () => {
      expect((await run('floods', { outside: 200 })).output).toBe('later');
      // The process is still printing: the next call waits behind it on the same process or another.
      await new Promise((resolve) => setTimeout(resolve, 3000));
    });
    expect(growth).toBeLessThan(100 * MiB);
    console.log(`floods: printed 200 MiB outside a call; gateway RSS grew at most ${(growth / MiB).toFixed(1)} MiB`);
  }, 120_000);

  it('answers 400 for an input nested too deeply to store, and a FunctionError for such an output', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const response = await gateway.request({
      method: 'POST',
      url: '/v1/runs?functionName=floods',
      headers: { 'content-type': 'application/json' },
      payload: `{"input": ${deep}}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 400 });
    const nested = await run('floods', { nested: 200_000 });
    expect(nested.status).toBe('ERROR');
    expect(nested.error?.type).toBe('FunctionError');
  }, 60_000);
});
