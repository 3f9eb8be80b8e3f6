import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSource } from '@dispatch/core';
import type { Driver, Language } from '@dispatch/core';
import { callFunction, deploySpec, eventually, fixtureHandler, packFixture, plainImage } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';

/** A variable only the gateway has: a function that sees it sees the gateway's environment. */
const CANARY = 'GATEWAY_CANARY_CREDENTIAL';
/** What a function may find in its environment besides its own `env` and the runtime's settings. */
const ALLOWED = new Set(['PATH', 'LANG', 'TZ', 'HOME', 'PYTHONUNBUFFERED', 'NODE_PATH', 'PYTHONPATH', 'PWD']);

/** The interpreter itself, not a version manager's shim (a shell script that sets variables of its own). */
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

const folders: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

async function sourceOf(file: string, text: string): Promise<Buffer> {
  const dir = await tempDir('dispatch-src-');
  await writeFile(join(dir, file), text);
  return packSource(dir);
}

const PRINT_ENV: Record<Language, { file: string; handler: string; text: string }> = {
  nodejs: {
    file: 'env.js',
    handler: 'env.js',
    text: `module.exports = () => { console.log(JSON.stringify(process.env)); return process.env; };\n`,
  },
  python3: {
    file: 'env.py',
    handler: 'env.handle',
    text: `import json, os\ndef handle(context, payload):\n    print(json.dumps(dict(os.environ)))\n    return dict(os.environ)\n`,
  },
};

describe('local backend isolation', () => {
  let driver: Driver;
  const images: Partial<Record<Language, string>> = {};

  beforeAll(async () => {
    process.env[CANARY] = 'the-gateway-secret';
    driver = createLocalDriver({ dataDir: await tempDir('dispatch-isolation-'), python: PYTHON, stopGraceMs: 500 });
    images.nodejs = await plainImage(driver, 'nodejs');
    images.python3 = await plainImage(driver, 'python3');
  });

  afterAll(async () => {
    delete process.env[CANARY];
    await driver.dispose();
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  for (const language of ['nodejs', 'python3'] as const) {
    it(`gives a ${language} function an allow-listed environment, never the gateway's`, async () => {
      const { file, handler, text } = PRINT_ENV[language];
      const name = `env-${language}`;
      await driver.deploy(
        deploySpec({
          name,
          language,
          imageURL: images[language] as string,
          source: await sourceOf(file, text),
          handler,
          env: { OWN_SETTING: 'mine' },
        }),
      );
      const envelope = await driver.invoke(
        name,
        { context: { secrets: {}, timeout: 10_000 }, payload: null },
        { deadline: Date.now() + 10_000 },
      );
      expect(envelope.context.error).toBeUndefined();
      const env = envelope.payload as Record<string, string>;
      const printed = JSON.parse(envelope.context.logs?.stdout?.[0] ?? '{}') as Record<string, string>;
      expect(printed).toEqual(env);
      expect(env[CANARY]).toBeUndefined();
      expect(env.OWN_SETTING).toBe('mine');
      expect(env.HOME).toBe('/function');
      const foreign = Object.keys(env).filter((key) => !ALLOWED.has(key) && key !== 'OWN_SETTING' && !key.startsWith('DISPATCH_'));
      // Python and Node add a few of their own at start-up; none of them comes from the gateway.
      expect(foreign.filter((key) => key in process.env)).toEqual([]);
      await driver.remove(name);
    });
  }
});

const bwrapWorks = spawnSync('bwrap', ['--version']).status === 0;
if (!bwrapWorks && process.env.CI === 'true') throw new Error('bubblewrap (bwrap) is needed on CI: .ci/run installs it');

/** Host pids of every process (bubblewrap and the server in it) started with `marker` in its environment. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

describe.skipIf(!bwrapWorks)('local backend sandbox supervision', () => {
  it('restarts a sandboxed process that crashed, kills one stuck past its deadline, and leaves none behind', async () => {
    const marker = `DISPATCH_TEST_MARKER=${randomUUID()}`;
    const [key, value] = marker.split('=') as [string, string];
    const driver = createLocalDriver({
      dataDir: await tempDir('dispatch-sandbox-'),
      python: PYTHON,
      sandbox: 'required',
      stopGraceMs: 500,
    });
    const image = await plainImage(driver, 'nodejs');
    await driver.deploy(
      deploySpec({
        name: 'boxed',
        language: 'nodejs',
        imageURL: image,
        source: await packFixture('nodejs'),
        handler: fixtureHandler('nodejs'),
        replicas: 2,
        timeout: 500,
        env: { [key]: value },
      }),
    );
    const started = processesWith(marker);
    expect(started.length).toBeGreaterThanOrEqual(2);

    expect((await callFunction(driver, 'boxed', { action: 'exit', code: 1 })).context.error?.type).toBe('FunctionError');
    await eventually(async () => expect((await callFunction(driver, 'boxed', { action: 'version' })).payload).toEqual({ version: 1 }));

    const stuck = await callFunction(driver, 'boxed', { action: 'spin', ms: 60_000 }, { timeoutMs: 500, deadlineMs: 1500 });
    expect(stuck.context.error?.message).toMatch(/timed out/);
    await eventually(async () => expect((await callFunction(driver, 'boxed', { action: 'version' })).payload).toEqual({ version: 1 }));

    await driver.dispose();
    await eventually(() => expect(processesWith(marker)).toEqual([]), 5000);
  }, 60_000);
});
