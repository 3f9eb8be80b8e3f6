import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver, ImageBuildSpec } from '@dispatch/core';
import { createLocalDriver } from '../src/index.js';

const folders: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** An npm package tarball whose postinstall script leaves a file in its installed folder. */
async function packageWithPostinstall(): Promise<string> {
  const dir = await tempDir('dispatch-postinstall-');
  const pkg = join(dir, 'pkg');
  await mkdir(pkg);
  await writeFile(
    join(pkg, 'package.json'),
    JSON.stringify({
      name: 'dispatch-postinstall-fixture',
      version: '1.0.0',
      scripts: { postinstall: `node -e "require('fs').writeFileSync('ran-postinstall', 'yes')"` },
    }),
  );
  await writeFile(join(pkg, 'index.js'), 'module.exports = 42;\n');
  const file = execFileSync('npm', ['pack', '--silent', pkg], { cwd: dir, encoding: 'utf8' }).trim();
  return join(dir, file);
}

/** A source distribution: installing it runs its setup.py. */
async function sourceDistribution(): Promise<string> {
  const dir = await tempDir('dispatch-sdist-');
  const pkg = join(dir, 'dispatch_sdist_fixture-1.0');
  await mkdir(pkg);
  await writeFile(join(pkg, 'setup.py'), 'from setuptools import setup\nsetup(name="dispatch_sdist_fixture", version="1.0")\n');
  execFileSync('tar', ['-czf', 'dispatch_sdist_fixture-1.0.tar.gz', 'dispatch_sdist_fixture-1.0'], { cwd: dir });
  return join(dir, 'dispatch_sdist_fixture-1.0.tar.gz');
}

describe('image builds on the local backend', () => {
  let driver: Driver;
  let tarball: string;

  beforeAll(async () => {
    driver = createLocalDriver({ dataDir: await tempDir('dispatch-scripts-') });
    tarball = await packageWithPostinstall();
  });

  afterAll(async () => {
    await driver.dispose();
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const nodeImage = (allowInstallScripts: boolean): ImageBuildSpec => ({
    name: allowInstallScripts ? 'with-scripts' : 'without-scripts',
    language: 'nodejs',
    baseImageURL: 'dispatch/nodejs-base',
    runtimeDependencies: JSON.stringify({ dependencies: { 'dispatch-postinstall-fixture': `file:${tarball}` } }),
    systemPackages: [],
    allowInstallScripts,
  });

  it('installs npm packages without running their install scripts', async () => {
    const built = await driver.buildImage(nodeImage(false));
    const installed = join(fileURLToPath(built.imageURL), 'node_modules', 'dispatch-postinstall-fixture');
    expect(existsSync(join(installed, 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'ran-postinstall'))).toBe(false);
  }, 120_000);

  it('runs them when the image allows scripts', async () => {
    const built = await driver.buildImage(nodeImage(true));
    const installed = join(fileURLToPath(built.imageURL), 'node_modules', 'dispatch-postinstall-fixture');
    expect(existsSync(join(installed, 'ran-postinstall'))).toBe(true);
  }, 120_000);

  it('refuses a python source distribution (its setup.py would run) and says how to allow it', async () => {
    const spec: ImageBuildSpec = {
      name: 'sdist',
      language: 'python3',
      baseImageURL: 'dispatch/python3-base',
      runtimeDependencies: `${await sourceDistribution()}\n`,
      systemPackages: [],
    };
    await expect(driver.buildImage(spec)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('runtimeDependencies.allowScripts'),
    });
  }, 120_000);
});
