#!/usr/bin/env node
// The swarm section of `npm run bench` (BENCH_BACKENDS=…,swarm): the gateway deployed with swarm/stack.yml on
// this engine's Swarm, a trivial nodejs function as a Swarm service, create → READY with warm images, and
// from a container on the overlay network: direct funker calls to the function's tasks (the reference) next
// to blocking runs through the gateway service. Prints a Markdown section; removes what it created.
//
// Options (environment): those of run.mjs, and BENCH_SWARM_NETWORK (default dispatch), BENCH_CLIENT_IMAGE
// (the client container's image, default DISPATCH_NODE_IMAGE or node:22-bookworm-slim), BENCH_GATEWAY_IMAGE
// (default dispatch/gateway:bench-<hash of its build's inputs>, see gateway-image.mjs: reused when an earlier run
// built it from the same sources, and kept; a BENCH_GATEWAY_IMAGE built here is removed unless BENCH_KEEP_IMAGES=1),
// BENCH_TIME_LIMIT (seconds, default 1500).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packSource } from '@dispatch/core';
import {
  TRIVIAL_NODE,
  benchSettings,
  cleanupOnExit,
  createFunctionTimed,
  deleteFunction,
  formatMs,
  freePort,
  gatewayApi,
  removeImagesBuiltByRun,
  run,
  waitFor,
  waitForImages,
} from './measure.mjs';
import { ensureGatewayImage } from './gateway-image.mjs';
import { cpuBetween, sampleContainerCpu } from './container-cpu.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Concurrency 64 by default, as issue 15's Swarm target is stated (the other sections default to 32).
const settings = { ...benchSettings(), concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64) };
const network = process.env.BENCH_SWARM_NETWORK ?? 'dispatch';
const clientImage = process.env.BENCH_CLIENT_IMAGE ?? process.env.DISPATCH_NODE_IMAGE ?? 'node:22-bookworm-slim';
const keepImages = process.env.BENCH_KEEP_IMAGES === '1';
const cleanup = cleanupOnExit(Number(process.env.BENCH_TIME_LIMIT ?? 1500) * 1000);

const id = randomBytes(3).toString('hex');
const stack = `dispatch-bench-${id}`;
const fn = `bench-${id}`;
const client = `dispatch-bench-client-${id}`;
const token = randomBytes(16).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-swarm-'));
cleanup.add(() => rmSync(work, { recursive: true, force: true }));

await removeImagesBuiltByRun(cleanup, fn);

const { image: gatewayImage, built: builtGateway } = await ensureGatewayImage(root, process.env.BENCH_GATEWAY_IMAGE);
// A requested image this run had to build is removed at the end; the image of the sources is kept for the next run.
if (builtGateway && process.env.BENCH_GATEWAY_IMAGE !== undefined && !keepImages) {
  cleanup.add(() => run('docker', ['image', 'rm', gatewayImage], { timeoutMs: 120_000 }));
}

const port = await freePort();
// The stack reads the admin token from a Docker secret (swarm/stack.yml): one of this run's own.
const tokenSecret = `${stack}-token`;
writeFileSync(join(work, 'token'), token);
await run('docker', ['secret', 'create', tokenSecret, join(work, 'token')], { timeoutMs: 30_000 });
const deployEnv = {
  ...process.env,
  DISPATCH_TOKEN_SECRET: tokenSecret,
  DISPATCH_GATEWAY_IMAGE: gatewayImage,
  DISPATCH_PORT: String(port),
  DISPATCH_SWARM_NETWORK: network,
  DISPATCH_SEED_DEFAULTS: 'true',
  DISPATCH_NODE_IMAGE: process.env.DISPATCH_NODE_IMAGE ?? '',
  DISPATCH_PYTHON_IMAGE: process.env.DISPATCH_PYTHON_IMAGE ?? '',
};
cleanup.add(async () => {
  await run('docker', ['stack', 'rm', stack], { timeoutMs: 60_000 });
  // The stack's volume can go once the gateway's container has.
  await waitFor(
    `the containers of stack ${stack} to stop`,
    async () =>
      (await run('docker', ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`], { timeoutMs: 30_000 })).trim() === ''
        ? true
        : undefined,
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  await waitFor(
    `volume ${stack}_dispatch-data to be removed`,
    () =>
      run('docker', ['volume', 'rm', `${stack}_dispatch-data`], { timeoutMs: 30_000 }).then(
        () => true,
        (error) => (/no such volume/i.test(error.message) ? true : undefined),
      ),
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  await run('docker', ['secret', 'rm', tokenSecret], { timeoutMs: 30_000 }).catch((error) => console.error(error.message));
});
await run('docker', ['stack', 'deploy', '-c', 'swarm/stack.yml', stack], { cwd: root, env: deployEnv, timeoutMs: 120_000 });

const base = `http://127.0.0.1:${port}`;
const api = gatewayApi(base, token);
await waitFor(
  'the gateway service to answer /healthz',
  () =>
    fetch(`${base}/healthz`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    ),
  {
    timeoutMs: 120_000,
    intervalMs: 250,
  },
);
// Last added, first run: the function goes before the stack (the gateway removes its service), and its
// service is removed directly if the gateway could not.
cleanup.add(async () => {
  await deleteFunction(api, fn, 60_000).catch((error) => console.error(error.message));
  const left = (await run('docker', ['service', 'ls', '-q', '--filter', `label=dispatch.function=${fn}`], { timeoutMs: 30_000 })).trim();
  if (left !== '') await run('docker', ['service', 'rm', ...left.split('\n')], { timeoutMs: 60_000 });
  await waitFor(
    `the containers of service ${fn} to stop`,
    async () =>
      (await run('docker', ['ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${fn}`], { timeoutMs: 30_000 })).trim() === ''
        ? true
        : undefined,
    { timeoutMs: 60_000, intervalMs: 500 },
  );
});

await waitForImages(api, ['nodejs'], 10 * 60_000);
writeFileSync(join(work, TRIVIAL_NODE.file), TRIVIAL_NODE.code);
const source = (await packSource(join(work, TRIVIAL_NODE.file))).toString('base64');
const spec = { name: fn, image: 'nodejs', source, handler: TRIVIAL_NODE.handler };
// The first create builds the function's image and pulls nothing new; the second, timed, finds it.
const coldMs = await createFunctionTimed(api, spec, 5 * 60_000);
await deleteFunction(api, fn, 60_000);
await waitFor(
  `service ${fn} to be removed`,
  async () =>
    (await run('docker', ['service', 'ls', '-q', '--filter', `label=dispatch.function=${fn}`], { timeoutMs: 30_000 })).trim() === ''
      ? true
      : undefined,
  { timeoutMs: 60_000, intervalMs: 200 },
);
const readyMs = await createFunctionTimed(api, spec, 5 * 60_000);

cleanup.add(() => run('docker', ['rm', '-f', client], { timeoutMs: 30_000 }).catch(() => undefined));
// The ceiling reference: a bare fastify route in a container of its own on the same overlay network.
const bare = `dispatch-bench-bare-${id}`;
cleanup.add(() => run('docker', ['rm', '-f', bare], { timeoutMs: 30_000 }).catch(() => undefined));
await run(
  'docker',
  [
    'run',
    '-d',
    '--name',
    bare,
    '--network',
    network,
    '-e',
    'BARE_HOST=0.0.0.0',
    '-e',
    'BARE_PORT=8080',
    '-v',
    `${root}:${root}:ro`,
    '-w',
    root,
    clientImage,
    'node',
    'scripts/bench/bare-fastify.mjs',
  ],
  { timeoutMs: 60_000 },
);
// The gateway service's task by Swarm's DNS name: its virtual IP (`${stack}_gateway`) needs IPVS, which this
// host may not have, as swarm/stack.yml says of the routing mesh.
const gatewayHost = `tasks.${stack}_gateway`;
const sustainedSeconds = Number(process.env.BENCH_SWARM_SECONDS ?? 60);
const clientArgs = { fn, gateway: `http://${gatewayHost}:8080`, bare: `http://${bare}:8080`, token, ...settings, sustainedSeconds };
const limitMs = (60 + 6 * (settings.seconds + (settings.latencyCalls + settings.warmupCalls) / 100) + 2 * sustainedSeconds) * 1000;
// What the gateway, the function's tasks, the client and the bare route spend, sampled while the client runs.
const sampler = sampleContainerCpu({
  gateway: `label=com.docker.swarm.service.name=${stack}_gateway`,
  function: `label=com.docker.swarm.service.name=${fn}`,
  client: `name=${client}`,
  bare: `name=${bare}`,
});
const out = await run(
  'docker',
  [
    'run',
    '--rm',
    '--name',
    client,
    '--network',
    network,
    '-v',
    `${root}:${root}:ro`,
    '-w',
    root,
    clientImage,
    'node',
    'scripts/bench/swarm-client.mjs',
    JSON.stringify(clientArgs),
  ],
  { timeoutMs: limitMs },
);
const result = JSON.parse(out.trim().split('\n').pop());
const cpuSamples = await sampler.stop();

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const load = loadavg()[0].toFixed(1);
const row = (path, r, ready = '') =>
  `| nodejs | ${path} | ${formatMs(r.p50)} | ${formatMs(r.p99)} | ${Math.round(r.throughput)} | ${ready} |`;
console.log(
  `\n### Blocking runs of a trivial function, swarm backend (${cpus().length} cores, ${cpu}, load average ${load} at the end, gateway image ${gatewayImage})\n`,
);
console.log(
  `Client in a container on the overlay network \`${network}\`; ${result.tasks} task(s); sequential calls for latency: ${settings.latencyCalls} after ${settings.warmupCalls} to warm up; ` +
    `throughput: ${settings.concurrency} concurrent callers for ${settings.seconds} s.\n`,
);
console.log('| language | path | p50 | p99 | throughput (runs/s) | create → READY |');
console.log('|---|---|---|---|---|---|');
console.log(row('bare fastify route in a container on the overlay (ceiling)', result.bare));
console.log(row(`direct wire call to \`tasks.${fn}\`:9999, a connection per task (reference)`, result.directWire));
console.log(row(`direct funker call to \`tasks.${fn}\`:9999, a connection per call`, result.direct));
console.log(
  row(`through the gateway (\`http://${gatewayHost}:8080\`)`, result.gateway, `${formatMs(readyMs)} (first create: ${formatMs(coldMs)})`),
);
console.log(
  `\nswarm: the gateway adds ${formatMs(result.gateway.p50 - result.directWire.p50)} at p50 and ${formatMs(result.gateway.p99 - result.directWire.p99)} at p99 over a direct wire call; ` +
    `its first 1000 runs after READY, before the warm-up ended, had a p50 of ${formatMs(result.gateway.firstP50)}.`,
);
const edge = (r) => `${Math.round(r.throughput)} runs/s, p50 ${formatMs(r.p50)}, p99 ${formatMs(r.p99)}`;
console.log(
  `\nSustained: ${settings.concurrency} concurrent callers for ${sustainedSeconds} s, through the gateway and then to the bare route.\n`,
);
console.log('| path | whole window | first 10 s | last 10 s | failed |');
console.log('|---|---|---|---|---|');
for (const [path, r] of [
  ['through the gateway', result.sustainedGateway],
  ['bare fastify route', result.sustainedBare],
]) {
  console.log(`| ${path} | ${edge(r.whole)} | ${edge(r.first)} | ${edge(r.last)} | ${r.whole.failed} |`);
}

// Window by window: the calls made and what each process spent per call in the same seconds (the function's
// tasks and the bare route do the work of one call each; the client makes the call; the host is all of it).
const perCall = (ms) => (ms === undefined ? '–' : `${ms.toFixed(3)} ms`);
for (const [path, r, server] of [
  ['through the gateway', result.sustainedGateway, ['gateway', 'function']],
  ['bare fastify route', result.sustainedBare, ['bare']],
]) {
  console.log(`\nSustained, ${path}, 10 s at a time: runs/s, p99, and CPU per call of each process.\n`);
  console.log(`| from | runs/s | p99 | ${[...server, 'client'].map((name) => `${name} CPU`).join(' | ')} | host busy | stolen |`);
  console.log(`|---|---|---|${[...server, 'client'].map(() => '---|').join('')}---|---|`);
  for (const window of r.series) {
    const from = r.startedAt + window.offsetMs;
    const cpu = cpuBetween(cpuSamples, from, from + 10_000, window.calls);
    console.log(
      `| ${Math.round(window.offsetMs / 1000)} s | ${Math.round(window.throughput)} | ${formatMs(window.p99)} | ` +
        `${[...server, 'client'].map((name) => perCall(cpu.perCallMs[name])).join(' | ')} | ` +
        `${cpu.busyPercent.toFixed(0)}% | ${cpu.stealPercent.toFixed(1)}% |`,
    );
  }
}
await cleanup.run();
process.exit(0);
