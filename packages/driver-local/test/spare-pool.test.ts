// Pre-warmed spares (spare-pool.ts), with real processes in bubblewrap: a start takes the waiting spare of its
// language, which then serves that function only and sees only its files and environment.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packSource } from '@dispatch/core';
import type { Driver, Language } from '@dispatch/core';
import { callFunction, deploySpec, eventually, plainImage } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';
import { servers } from './support/spares.js';

const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const bwrapWorks = spawnSync('bwrap', ['--version']).status === 0;
if (!bwrapWorks && process.env.CI === 'true') throw new Error('bubblewrap (bwrap) is needed on CI: .ci/run installs it');

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** Lists its folder (before leaving a file there), returns its environment, and prints a line when it loads. */
const LISTER: Record<Language, { file: string; handler: string; text: string }> = {
  nodejs: {
    file: 'lister.js',
    handler: 'lister.js',
    text:
      `const fs = require('fs');\nconsole.log('loaded ' + process.env.WHO);\n` +
      `module.exports = () => {\n  const files = fs.readdirSync(__dirname).sort();\n` +
      `  fs.writeFileSync(__dirname + '/leftover-' + process.env.WHO, 'x');\n  return { files, env: process.env };\n};\n`,
  },
  python3: {
    file: 'lister.py',
    handler: 'lister.handle',
    text:
      `import os\nprint('loaded ' + os.environ['WHO'])\nHERE = os.path.dirname(os.path.abspath(__file__))\n` +
      `def handle(context, payload):\n    files = sorted(f for f in os.listdir(HERE) if f != '__pycache__')\n` +
      `    open(os.path.join(HERE, 'leftover-' + os.environ['WHO']), 'w').write('x')\n` +
      `    return {'files': files, 'env': dict(os.environ)}\n`,
  },
};

async function listerSource(language: Language): Promise<Buffer> {
  const dir = await tempDir('dispatch-spare-src-');
  await writeFile(join(dir, LISTER[language].file), LISTER[language].text);
  return packSource(dir);
}

function filesOf(pid: number): string[] {
  return readdirSync(`/proc/${pid}/root/function`)
    .filter((name) => name !== '__pycache__')
    .sort();
}

async function oneWaiting(except: number[] = []): Promise<number> {
  return eventually(() => {
    const { waiting } = servers();
    expect(waiting.filter((pid) => !except.includes(pid))).toHaveLength(1);
    return waiting[0] as number;
  }, 30_000);
}

async function logLines(driver: Driver, name: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of driver.logs!(name)) lines.push(line.line);
  return lines;
}

describe.skipIf(!bwrapWorks)('local backend spares', () => {
  for (const language of ['nodejs', 'python3'] as const) {
    it(`starts ${language} functions from spares, each seeing only its own files and environment`, async () => {
      const dataDir = await tempDir('dispatch-spares-');
      const driver = createLocalDriver({ dataDir, python: PYTHON, sandbox: 'required', stopGraceMs: 500 });
      try {
        const image = await plainImage(driver, language);
        const { file, handler } = LISTER[language];
        const spec = (name: string, env: Record<string, string>) =>
          listerSource(language).then((source) => deploySpec({ name, language, imageURL: image, source, handler, env }));
        // The first deploy starts as before, and a spare of its language.
        await driver.deploy(await spec('warmer', { WHO: 'warmer' }));
        const first = await oneWaiting();

        // A start from zero takes the spare: it serves "a" with a's files and environment, and prints to a's logs.
        await driver.deploy(await spec('a', { WHO: 'a', A_SECRET: 'only-a' }));
        expect(servers().given).toContain(first);
        expect(filesOf(first)).toEqual([file]);
        const a = await callFunction(driver, 'a', {});
        expect(a.context.error).toBeUndefined();
        const fromA = a.payload as { files: string[]; env: Record<string, string> };
        expect(fromA.files).toEqual([file]);
        expect(fromA.env).toMatchObject({ WHO: 'a', A_SECRET: 'only-a', HOME: '/function' });
        expect(fromA.env.DISPATCH_SPARE).toBeUndefined();
        await eventually(async () => expect(await logLines(driver, 'a')).toContain('loaded a'), 5000);
        expect(filesOf(first)).toEqual([file, 'leftover-a'].sort());

        // A new spare, with a slot of its own, waits once the taken one serves.
        const second = await oneWaiting([first]);
        expect(second).not.toBe(first);
        await driver.scale!('a', 0);
        await eventually(() => expect(existsSync(`/proc/${first}`)).toBe(false), 10_000);

        // "b" gets the new spare: nothing of "a" (its file, its environment) is there.
        await driver.deploy(await spec('b', { WHO: 'b' }));
        expect(servers().given).toContain(second);
        const b = await callFunction(driver, 'b', {});
        const fromB = b.payload as { files: string[]; env: Record<string, string> };
        expect(fromB.files).toEqual([file]);
        expect(fromB.env.WHO).toBe('b');
        expect(fromB.env.A_SECRET).toBeUndefined();
        // Slots are deleted with their process: the warmer's own start used none, b's and the next spare's remain.
        await oneWaiting([first, second]);
        expect(readdirSync(join(dataDir, 'functions', '.spares'))).toHaveLength(2);
      } finally {
        await driver.dispose();
      }
      expect(servers()).toEqual({ waiting: [], given: [] });
      expect(existsSync(join(dataDir, 'functions', '.spares'))).toBe(false);
    }, 120_000);
  }

  it('replaces a spare that dies, starts a function that sets NODE_OPTIONS without one, and leaves none behind', async () => {
    const driver = createLocalDriver({ dataDir: await tempDir('dispatch-spares-'), sandbox: 'required', stopGraceMs: 500 });
    try {
      const image = await plainImage(driver, 'nodejs');
      const source = await listerSource('nodejs');
      const spec = (name: string, env: Record<string, string>) =>
        deploySpec({ name, language: 'nodejs', imageURL: image, source, handler: LISTER.nodejs.handler, env });
      await driver.deploy(spec('warmer', { WHO: 'warmer' }));
      const spare = await oneWaiting();
      process.kill(spare, 'SIGKILL');
      const replacement = await oneWaiting([spare]);
      expect(replacement).not.toBe(spare);

      // Node reads NODE_OPTIONS when it starts: such a function gets a process of its own, and the spare waits on.
      await driver.deploy(spec('own', { WHO: 'own', NODE_OPTIONS: '--max-old-space-size=64' }));
      expect((await callFunction(driver, 'own', {})).payload).toMatchObject({ env: { NODE_OPTIONS: '--max-old-space-size=64' } });
      expect(servers()).toEqual({ waiting: [replacement], given: [] });
    } finally {
      await driver.dispose();
    }
    expect(servers()).toEqual({ waiting: [], given: [] });
  }, 60_000);
});
