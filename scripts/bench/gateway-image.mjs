// The gateway image of the swarm section of `npm run bench`: tagged by a hash of what goes into its build (the
// Dockerfile, the root manifests, every file of packages/ and apps/ that git does not ignore, and the build
// arguments), so that a run finds the image an earlier run built from the same sources and skips a build that
// takes a quarter of an hour on a loaded machine. The image stays as a cache; building a new one removes the
// older `dispatch/gateway:bench-*` images.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './measure.mjs';

const ROOT_INPUTS = ['apps/gateway/Dockerfile', 'package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json', 'tsup.base.ts'];
export const GATEWAY_BENCH_REPOSITORY = 'dispatch/gateway';

/** The build arguments of the gateway image, from DISPATCH_NODE_IMAGE and DISPATCH_NODE_GYP_NODEDIR. */
export function gatewayBuildArgs(env = process.env) {
  const nodeImage = env.DISPATCH_NODE_IMAGE;
  const nodedir = env.DISPATCH_NODE_GYP_NODEDIR ?? (nodeImage?.startsWith('dispatch-local/') ? '/usr/local' : undefined);
  return { ...(nodeImage ? { NODE_IMAGE: nodeImage } : {}), ...(nodedir ? { NODE_GYP_NODEDIR: nodedir } : {}) };
}

/** `dispatch/gateway:bench-<hash>`: the hash of the build's inputs as they are in the working tree now. */
export async function gatewayBenchTag(root, buildArgs) {
  const listed = await run('git', ['ls-files', '-co', '--exclude-standard', '--', 'packages', 'apps'], { cwd: root, timeoutMs: 60_000 });
  const files = [...ROOT_INPUTS, ...listed.split('\n').filter(Boolean)].sort();
  const hash = createHash('sha256');
  hash.update(JSON.stringify(buildArgs));
  for (const file of new Set(files)) {
    let content;
    try {
      content = readFileSync(join(root, file));
    } catch {
      continue; // listed by git, deleted in the working tree
    }
    hash.update(`${file}\0${content.length}\0`);
    hash.update(content);
  }
  return `${GATEWAY_BENCH_REPOSITORY}:bench-${hash.digest('hex').slice(0, 12)}`;
}

/**
 * The gateway image to deploy: `requested` (BENCH_GATEWAY_IMAGE) as it is, built when missing; otherwise the
 * image of the current sources, built only when no earlier run left it. Answers the tag and whether this run built it.
 */
export async function ensureGatewayImage(root, requested, env = process.env) {
  const buildArgs = gatewayBuildArgs(env);
  const image = requested ?? (await gatewayBenchTag(root, buildArgs));
  const exists = await run('docker', ['image', 'inspect', image], { timeoutMs: 30_000 }).then(
    () => true,
    () => false,
  );
  if (exists) {
    console.error(`reusing ${image}`);
    return { image, built: false };
  }
  console.error(`building ${image} (apps/gateway/Dockerfile)…`);
  const args = Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]);
  await run('docker', ['build', '-q', '-f', 'apps/gateway/Dockerfile', ...args, '-t', image, '.'], { cwd: root, timeoutMs: 30 * 60_000 });
  if (requested === undefined) {
    // Images of older sources are of no more use.
    const tags = await run('docker', ['image', 'ls', GATEWAY_BENCH_REPOSITORY, '--format', '{{.Repository}}:{{.Tag}}'], {
      timeoutMs: 30_000,
    });
    const stale = tags.split('\n').filter((tag) => tag.startsWith(`${GATEWAY_BENCH_REPOSITORY}:bench-`) && tag !== image);
    if (stale.length > 0) await run('docker', ['image', 'rm', ...stale], { timeoutMs: 120_000 }).catch(() => undefined);
  }
  return { image, built: true };
}
