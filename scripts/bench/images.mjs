#!/usr/bin/env node
// The image section of `npm run bench` (BENCH_BACKENDS=…,images): how long building a hello function's image
// takes, assembled in a registry (@dispatch/registry-builder: base image + one source layer, no daemon) beside
// `docker build` on this engine (@dispatch/docker-builder, then the push the cluster needs). Both write to the same
// registry (Debian's docker-registry on loopback, with a login) and start from a base image already there; every
// build gets a source that differs (as each deploy of a changed function does), so no cache hides the work.
// Prints a Markdown section; removes what it created (registry, images).
//
// Options (environment): BENCH_IMAGE_BUILDS (builds per path, default 10), BENCH_TIME_LIMIT (seconds, default 900).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packSource } from '@dispatch/core';
import { cleanupOnExit, formatMs, run } from './measure.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const builds = Number(process.env.BENCH_IMAGE_BUILDS ?? 10);
const cleanup = cleanupOnExit(Number(process.env.BENCH_TIME_LIMIT ?? 900) * 1000);

// The builders and the testkit are TypeScript; their builds (cached by nx) give plain Node modules to import.
await run(
  'npx',
  [
    'nx',
    'run-many',
    '-t',
    'build',
    '--projects=@dispatch/registry-builder,@dispatch/docker-builder,@dispatch/driver-testkit',
    '--output-style=static',
  ],
  {
    cwd: root,
    timeoutMs: 5 * 60_000,
  },
);
for (const pkg of ['registry-builder', 'docker-builder', 'driver-testkit']) {
  if (!existsSync(join(root, 'packages', pkg, 'dist/index.js'))) throw new Error(`packages/${pkg}/dist is missing after the build`);
}
const { createRegistryImageBuilder } = await import('@dispatch/registry-builder');
const { createDockerImageBuilder } = await import('@dispatch/docker-builder');
const { pushLanguageImages, startTestRegistry, localLanguageImages } = await import('@dispatch/driver-testkit');

const login = { username: 'bench', password: `bench-${process.pid}` };
const registry = await startTestRegistry({ auth: login });
cleanup.add(() => registry.stop());
const languageImages = await pushLanguageImages(registry);
const settings = { url: registry.address, repository: 'bench', ...login };
const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-images-'));
cleanup.add(() => rmSync(work, { recursive: true, force: true }));

/** A hello function whose source differs on every call. */
let serial = 0;
async function helloSource() {
  serial += 1;
  writeFileSync(join(work, 'hello.js'), `// build ${serial}\nmodule.exports = (context, payload) => ({ hello: payload.name });\n`);
  return packSource(join(work, 'hello.js'));
}

async function time(label, build) {
  const durations = [];
  for (let i = 0; i < builds; i++) {
    const source = await helloSource();
    const started = performance.now();
    await build(source, i);
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  return { label, p50: durations[Math.floor(durations.length / 2)], max: durations[durations.length - 1] };
}

// Assembled in the registry: the base image is assembled once from the language image, then each build is
// manifest + config reads, one layer upload, a config and a manifest write.
const inRegistry = createRegistryImageBuilder({ registry: settings, languageImages });
const registryBase = inRegistry.defaultBaseImages().nodejs;
await inRegistry.prepareBaseImage({ name: 'nodejs-base', language: 'nodejs', imageURL: registryBase });
const assembled = await time('assembled in the registry (`@dispatch/registry-builder`)', (source, i) =>
  inRegistry.buildFunctionImage({ name: 'hello', revision: i + 1, imageURL: registryBase, source, handler: 'hello.js' }),
);

// `docker build` on the engine from the same kind of base (built once, cached), then pushed to the registry.
const onEngine = createDockerImageBuilder({ registry: settings, baseImageArgs: { NODE_IMAGE: localLanguageImages().nodejs } });
const dockerBase = `${registry.address}/bench/nodejs-base-docker:1`;
const built = [dockerBase];
cleanup.add(async () => {
  for (const image of built) await onEngine.removeImage(image);
});
await onEngine.buildBaseImage('nodejs', dockerBase);
const dockerBuilt = await time('`docker build` + push (`@dispatch/docker-builder`)', async (source, i) => {
  built.push(await onEngine.buildFunctionImage({ name: 'hello', revision: i + 1, imageURL: dockerBase, source, handler: 'hello.js' }));
});

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\n### Building a hello function's image (${cpus().length} cores, ${cpu}, Node ${process.version})\n`);
console.log(
  `${builds} builds per path, each of a changed source, on a nodejs base image already in the registry (loopback, with a login).\n`,
);
console.log('| path | p50 | max |');
console.log('|---|---|---|');
for (const row of [assembled, dockerBuilt]) console.log(`| ${row.label} | ${formatMs(row.p50)} | ${formatMs(row.max)} |`);
await cleanup.run();
