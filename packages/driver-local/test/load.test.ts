import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packSource } from '@dispatch/core/source';
import type { RunEnvelope } from '@dispatch/core/driver';
import { deploySpec, plainImage } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';

const RUNS = 100_000;
const CONCURRENCY = 64;
/** Processes killed during the load, spread evenly over its runs (by progress, not time: a fast machine ends sooner). */
const KILLS = 5;
const KILL_STEP = Math.floor(RUNS / (KILLS + 1));
const dirs: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * Host pids of the function servers (not their bubblewrap) serving `handlerFile`: found by that file in the
 * folder they serve from (a process started from a pre-warmed spare gets its environment over stdin, so its
 * /proc/PID/environ names no function).
 */
function serversOf(handlerFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // By the executable, not /proc/PID/comm: Node 24 names its main thread "MainThread".
      if (basename(readlinkSync(`/proc/${entry}/exe`)) !== 'node') continue;
      if (existsSync(`/proc/${entry}/root/function/${handlerFile}`) || existsSync(`/proc/${entry}/cwd/${handlerFile}`))
        pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

describe('local backend under load', () => {
  it(`answers ${RUNS} runs at concurrency ${CONCURRENCY}, each with its own reply, while a process is killed every ${KILL_STEP} runs`, async () => {
    // A name no other test's function has, to find this function's processes by.
    const handlerFile = `echo-${randomUUID()}.js`;
    const driver = createLocalDriver({ dataDir: await tempDir('dispatch-load-'), stopGraceMs: 500 });
    const source = await tempDir('dispatch-load-src-');
    // The reply is derived from the input, so a reply given to the wrong call shows.
    await writeFile(
      join(source, handlerFile),
      'module.exports = (context, payload) => ({ n: payload.n, square: payload.n * payload.n });\n',
    );
    const image = await plainImage(driver, 'nodejs');
    await driver.deploy(
      deploySpec({
        name: 'echo',
        language: 'nodejs',
        imageURL: image,
        source: await packSource(source),
        handler: handlerFile,
        replicas: 2,
      }),
    );
    try {
      let next = 0;
      let answered = 0;
      let wrong = 0;
      const exitedDuringCall: string[] = [];
      const other: RunEnvelope[] = [];
      let kills = 0;
      let nextKillAt = KILL_STEP;
      let lastLook = 0;
      const killOneProcess = (): void => {
        if (kills >= KILLS || answered < nextKillAt || Date.now() - lastLook < 20) return;
        lastLook = Date.now();
        // None while both processes restart: looked for again a moment later.
        const pid = serversOf(handlerFile)[0];
        if (pid === undefined) return;
        kills++;
        nextKillAt += KILL_STEP;
        process.kill(pid, 'SIGKILL');
      };
      const startedAt = Date.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < RUNS) {
            const n = next++;
            const request = { context: { secrets: {}, timeout: 0, functionName: 'echo' }, payload: { n } };
            const reply = await driver.invoke('echo', request, { deadline: Date.now() + 30_000 });
            answered++;
            killOneProcess();
            const error = reply.context.error;
            if (error === undefined) {
              if (JSON.stringify(reply.payload) !== JSON.stringify({ n, square: n * n })) wrong++;
            } else if (/the function process exited during the call/.test(error.message)) {
              // In flight on the killed process: it may have run, so it is answered as failed, never retried.
              exitedDuringCall.push(error.message);
            } else {
              other.push(reply);
            }
          }
        }),
      );
      const seconds = (Date.now() - startedAt) / 1000;
      expect(answered).toBe(RUNS);
      expect(wrong).toBe(0);
      expect(other).toEqual([]);
      expect(kills).toBe(KILLS);
      // Only the calls in flight on a killed process fail: at most one process's bound of calls per kill.
      expect(exitedDuringCall.length).toBeLessThanOrEqual(kills * CONCURRENCY);
      console.log(`${RUNS} runs in ${seconds.toFixed(1)} s, ${kills} processes killed, ${exitedDuringCall.length} calls in flight on them`);
    } finally {
      await driver.dispose();
    }
  }, 120_000);
});
