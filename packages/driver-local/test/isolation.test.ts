import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSource } from '@dispatch/core';
import type { Driver, Language } from '@dispatch/core';
import { deploySpec, plainImage } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';

/** A variable only the gateway has: a function that sees it sees the gateway's environment. */
const CANARY = 'GATEWAY_CANARY_CREDENTIAL';
/** What a function may find in its environment besides its own `env` and the runtime's settings. */
const ALLOWED = new Set(['PATH', 'LANG', 'TZ', 'HOME', 'PYTHONUNBUFFERED', 'NODE_PATH', 'PYTHONPATH']);

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
        deploySpec({ name, language, imageURL: images[language] as string, source: await sourceOf(file, text), handler, env: { OWN_SETTING: 'mine' } }),
      );
      const envelope = await driver.invoke(name, { context: { secrets: {}, timeout: 10_000 }, payload: null }, { deadline: Date.now() + 10_000 });
      expect(envelope.context.error).toBeUndefined();
      const env = envelope.payload as Record<string, string>;
      const printed = JSON.parse(envelope.context.logs?.stdout?.[0] ?? '{}') as Record<string, string>;
      expect(printed).toEqual(env);
      expect(env[CANARY]).toBeUndefined();
      expect(env.OWN_SETTING).toBe('mine');
      expect(env.HOME).toMatch(new RegExp(`${name}`));
      const foreign = Object.keys(env).filter((key) => !ALLOWED.has(key) && key !== 'OWN_SETTING' && !key.startsWith('DISPATCH_'));
      // Python and Node add a few of their own at start-up; none of them comes from the gateway.
      expect(foreign.filter((key) => key in process.env)).toEqual([]);
      await driver.remove(name);
    });
  }
});
