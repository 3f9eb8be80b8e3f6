#!/usr/bin/env node
// The swarm cold-start section of `npm run bench` (BENCH_BACKENDS=…,swarmcold): Dispatch (core and the swarm
// driver, as the gateway runs them) in a container on the overlay network, a trivial nodejs function with
// `minReplicas: 0` and a 1 s idle window, called BENCH_COLD_STARTS (default 5) times after its task was stopped.
// Reports the run's `coldStartMs` (the hold until a task answered) next to two references from the same run: Swarm's
// own time from creating the task to its container running (the task's timestamps), and a warm call.
// Removes its service, images and container. Needs `npm run build` (it runs the packages' dist).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 5);
const network = process.env.BENCH_SWARM_NETWORK ?? 'dispatch';
const IDLE_MS = 1000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const formatMs = (ms) => (ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (process.argv[2] !== '--in-network') {
  // On the host: the measuring runs in a container on the overlay network, the only place tasks answer from.
  const image = process.env.BENCH_CLIENT_IMAGE ?? process.env.DISPATCH_NODE_IMAGE ?? 'node:22-bookworm-slim';
  const env = ['DISPATCH_NODE_IMAGE', 'DISPATCH_PYTHON_IMAGE', 'BENCH_COLD_STARTS']
    .filter((key) => process.env[key])
    .flatMap((key) => ['-e', `${key}=${process.env[key]}`]);
  const name = `dispatch-bench-cold-${process.pid}`;
  const args = [
    'run',
    '--rm',
    '--name',
    name,
    '--network',
    network,
    '-v',
    `${root}:${root}`,
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    '-w',
    root,
    ...env,
    image,
    'node',
    'scripts/bench/swarm-cold-starts.mjs',
    '--in-network',
  ];
  const child = spawn('docker', args, { stdio: 'inherit' });
  const stop = () => spawn('docker', ['rm', '-f', name], { stdio: 'ignore' });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  const Dockerode = (await import('dockerode')).default;
  const { createDispatch, openSqliteStore, packSource } = await import('@dispatch/core');
  const { createSwarmDriver } = await import('@dispatch/driver-swarm');
  const { createDockerImageBuilder } = await import('@dispatch/docker-builder');
  const docker = new Dockerode();
  const id = Date.now().toString(36);
  const fn = `bench-cold-${id}`;
  const work = await mkdtemp(join(tmpdir(), 'dispatch-bench-cold-'));
  const driver = createSwarmDriver({ docker, network, builder: createDockerImageBuilder({ docker, errorPrefix: 'swarm' }) });
  const dispatch = await createDispatch({
    driver,
    store: openSqliteStore(join(work, 'store')),
    seedDefaults: false,
    autoscale: { idleMs: IDLE_MS },
  });
  const rows = { held: [], call: [], task: [], after: [], warm: [] };
  try {
    await dispatch.baseImages.create({ name: `${fn}-base`, imageURL: driver.defaultBaseImages().nodejs, language: 'nodejs' });
    await dispatch.baseImages.waitUntilReady(`${fn}-base`, { timeoutMs: 600_000 });
    await dispatch.images.create({ name: `${fn}-node`, baseImage: `${fn}-base` });
    await dispatch.images.waitUntilReady(`${fn}-node`, { timeoutMs: 600_000 });
    await writeFile(join(work, 'trivial.js'), 'module.exports = () => ({ ok: true });\n');
    const source = (await packSource(join(work, 'trivial.js'))).toString('base64');
    await dispatch.functions.create({ name: fn, image: `${fn}-node`, source, handler: 'trivial.js', minReplicas: 0, maxReplicas: 1 });
    await dispatch.functions.waitUntilReady(fn, { timeoutMs: 600_000 });
    while (rows.held.length < COLD_STARTS) {
      for (let waited = 0; (await driver.status(fn)).replicas.desired !== 0; waited += 100) {
        if (waited > 60_000) throw new Error(`${fn} was not scaled to zero`);
        await sleep(100);
      }
      // The stopped task's container must be gone too, as after a real idle period.
      for (
        let waited = 0;
        (await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${fn}`] } })).length > 0;
        waited += 100
      ) {
        if (waited > 60_000) throw new Error(`the container of ${fn} did not stop`);
        await sleep(100);
      }
      const started = performance.now();
      const run = await dispatch.runs.execute(fn, {});
      const callMs = performance.now() - started;
      if (run.error) throw new Error(`${fn}: ${run.error.message}`);
      if (!(run.coldStartMs > 0)) continue;
      rows.held.push(run.coldStartMs);
      rows.call.push(callMs);
      const tasks = await docker.listTasks({ filters: { service: [fn], 'desired-state': ['running'] } });
      const task = tasks.sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt))[0];
      if (task?.Status?.State === 'running') {
        const taskMs = Date.parse(task.Status.Timestamp) - Date.parse(task.CreatedAt);
        rows.task.push(taskMs);
        // What the cold call took past Swarm's part: the function server's start and the gateway's.
        rows.after.push(callMs - taskMs);
      }
      for (let i = 0; i < 20; i++) {
        const warmStarted = performance.now();
        await dispatch.runs.execute(fn, {});
        rows.warm.push(performance.now() - warmStarted);
      }
    }
  } finally {
    await dispatch.functions.delete(fn).catch((error) => console.error(error.message));
    await dispatch.images.delete(`${fn}-node`).catch((error) => console.error(error.message));
    const images = await docker.listImages();
    for (const image of images) {
      for (const tag of image.RepoTags ?? [])
        if (tag.includes(`fn-${fn}`))
          await docker
            .getImage(tag)
            .remove({ force: true })
            .catch(() => undefined);
    }
    await dispatch.close();
    await rm(work, { recursive: true, force: true });
  }
  console.log(
    `\n### Cold starts from zero, swarm backend (${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end)\n`,
  );
  console.log(
    `A trivial nodejs function with \`minReplicas: 0\`, called ${rows.held.length} times after its task was stopped (p50; warm image).\n`,
  );
  console.log(
    '| Swarm: task created → running (reference) | held for the start (`coldStartMs`) | cold call | max cold call | cold call past the task running | warm call (reference) |',
  );
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| ${formatMs(median(rows.task))} | ${formatMs(median(rows.held))} | ${formatMs(median(rows.call))} | ${formatMs(Math.max(...rows.call))} | ${formatMs(median(rows.after))} | ${formatMs(median(rows.warm))} |`,
  );
  process.exit(0);
}
