import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageDependencies } from './image-dependencies.js';

describe('imageDependencies', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('sends --allow-scripts and --no-allow-scripts as runtimeDependencies.allowScripts, with or without a manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-deps-'));
    dirs.push(dir);
    await writeFile(join(dir, 'package.json'), '{"dependencies": {}}');
    expect(await imageDependencies({ 'runtime-deps': join(dir, 'package.json'), 'allow-scripts': true })).toEqual({
      runtimeDependencies: { manifest: '{"dependencies": {}}', allowScripts: true },
    });
    expect(await imageDependencies({ 'allow-scripts': false })).toEqual({ runtimeDependencies: { allowScripts: false } });
    expect(await imageDependencies({})).toEqual({});
  });
});
