#!/usr/bin/env node
// The knative section of `npm run bench` (BENCH_BACKENDS=…,knative), through the Kubernetes API test harness
// (@dispatch/driver-testkit/kube-harness, not Knative): the gateway (`apps/gateway/dist/server.js`) with
// DISPATCH_BACKEND=knative against the harness's kubeconfig and ingress, a trivial nodejs function as a Knative
// Service whose container the harness runs on this Docker engine, create → READY with warm images, and blocking
// runs through the gateway next to two references measured in the same run: an HTTP POST straight to the
// function's container (its port published on 127.0.0.1) and one through the harness's ingress by Host header.
// Prints a Markdown section; removes what it created.
//
// Options (environment): those of run.mjs, and BENCH_TIME_LIMIT (seconds, default 900).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packSource } from '@dispatch/core';
import {
  RUN_REQUEST,
  TRIVIAL_NODE,
  benchSettings,
  cleanupOnExit,
  createFunctionTimed,
  deleteFunction,
  formatMs,
  freePort,
  gatewayApi,
  httpPoster,
  removeImagesBuiltByRun,
  measureCall,
  run,
  waitFor,
  waitForImages,
} from './measure.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const settings = benchSettings();
const cleanup = cleanupOnExit(Number(process.env.BENCH_TIME_LIMIT ?? 900) * 1000);

const id = randomBytes(3).toString('hex');
const fn = `bench-${id}`;
const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-knative-'));
cleanup.add(() => rmSync(work, { recursive: true, force: true }));

await removeImagesBuiltByRun(cleanup, fn);

// The harness is TypeScript; its build (cached by nx) gives plain Node a module to import.
const harnessModule = join(root, 'packages/driver-testkit/dist/kube-harness/index.js');
await run('npx', ['nx', 'run', '@dispatch/driver-testkit:build', '--output-style=static'], { cwd: root, timeoutMs: 5 * 60_000 });
if (!existsSync(harnessModule)) throw new Error(`${harnessModule} is missing after the build`);
const { startKubeHarness } = await import(pathToFileURL(harnessModule).href);
const harness = await startKubeHarness({ progressDeadlineMs: 60_000 });
cleanup.add(() => harness.close());

const port = await freePort();
const token = randomBytes(16).toString('hex');
const gateway = spawn(process.execPath, [join(root, 'apps/gateway/dist/server.js')], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    DISPATCH_BACKEND: 'knative',
    KUBECONFIG: harness.kubeconfigPath,
    DISPATCH_KNATIVE_INGRESS: harness.ingressUrl,
    DISPATCH_HOST: '127.0.0.1',
    DISPATCH_PORT: String(port),
    DISPATCH_DATA_DIR: join(work, 'gateway'),
    DISPATCH_LOG_LEVEL: 'warn',
    DISPATCH_SEED_DEFAULTS: 'true',
    DISPATCH_TOKEN: token,
  },
});
const gatewayExited = new Promise((resolve) => gateway.once('exit', resolve));
cleanup.add(async () => {
  if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGTERM');
  await Promise.race([gatewayExited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL');
});
const base = `http://127.0.0.1:${port}`;
const api = gatewayApi(base, token);
await waitFor(
  'the gateway to answer /healthz',
  () =>
    fetch(`${base}/healthz`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    ),
  {
    timeoutMs: 30_000,
  },
);
cleanup.add(() => deleteFunction(api, fn, 60_000));

await waitForImages(api, ['nodejs'], 10 * 60_000);
writeFileSync(join(work, TRIVIAL_NODE.file), TRIVIAL_NODE.code);
const source = (await packSource(join(work, TRIVIAL_NODE.file))).toString('base64');
const spec = { name: fn, image: 'nodejs', source, handler: TRIVIAL_NODE.handler };
const coldMs = await createFunctionTimed(api, spec, 5 * 60_000);
await deleteFunction(api, fn, 60_000);
const readyMs = await createFunctionTimed(api, spec, 5 * 60_000);

// The function's Knative Service as the harness holds it: its URL (whose host the ingress routes by) and its
// ready revision, whose container carries the label serving.knative.dev/revision.
const kube = await fetch(`${harness.url}/apis/serving.knative.dev/v1/namespaces/default/services/${fn}`, {
  headers: { authorization: `Bearer ${harness.token}` },
}).then((response) => response.json());
const revision = kube.status.latestReadyRevisionName;
const host = new URL(kube.status.url).host;
const containers = (await run('docker', ['ps', '-q', '--filter', `label=serving.knative.dev/revision=${revision}`], { timeoutMs: 30_000 }))
  .trim()
  .split('\n');
if (containers.length !== 1 || containers[0] === '')
  throw new Error(`expected one container of revision ${revision}, found ${containers.filter(Boolean).length}`);
const published = (await run('docker', ['port', containers[0], '8080/tcp'], { timeoutMs: 30_000 })).trim().split('\n')[0];
const containerUrl = `http://${published}/`;
if (!/^http:\/\/127\.0\.0\.1:\d+\/$/.test(containerUrl))
  throw new Error(`the function's container is published on ${published}, not loopback`);

const agent = new http.Agent({ keepAlive: true, maxSockets: settings.concurrency });
const cases = [
  { path: `direct HTTP POST to the container (\`${published}\`, reference)`, call: httpPoster(containerUrl, RUN_REQUEST, { agent }) },
  {
    path: `through the harness's ingress (Host \`${host}\`)`,
    call: httpPoster(`${harness.ingressUrl}/`, RUN_REQUEST, { agent, headers: { host } }),
  },
  {
    path: 'through the gateway (`POST /v1/runs`)',
    call: httpPoster(
      `${base}/v1/runs?functionName=${fn}`,
      { input: { name: 'bench' }, blocking: true },
      { agent, headers: { authorization: `Bearer ${token}` } },
    ),
  },
];
const rows = [];
for (const { path, call } of cases) rows.push({ path, ...(await measureCall(call, settings)) });
agent.destroy();

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `\n### Blocking runs of a trivial function, knative backend through the Kubernetes API harness (${cpus().length} cores, ${cpu}, Node ${process.version})\n`,
);
console.log(
  `Function container on this Docker engine, reached on loopback; sequential calls for latency: ${settings.latencyCalls}; ` +
    `throughput: ${settings.concurrency} concurrent callers for ${settings.seconds} s.\n`,
);
console.log('| language | path | p50 | p99 | throughput (runs/s) | create → READY |');
console.log('|---|---|---|---|---|---|');
for (const [index, row] of rows.entries()) {
  const ready = index === rows.length - 1 ? `${formatMs(readyMs)} (first create: ${formatMs(coldMs)})` : '';
  console.log(`| nodejs | ${row.path} | ${formatMs(row.p50)} | ${formatMs(row.p99)} | ${Math.round(row.throughput)} | ${ready} |`);
}
const [direct, ingress, throughGateway] = rows;
console.log(
  `\nknative (harness): the gateway adds ${formatMs(throughGateway.p50 - ingress.p50)} at p50 over the ingress it calls through, ` +
    `${formatMs(throughGateway.p50 - direct.p50)} over the container directly.`,
);
await cleanup.run();
process.exit(0);
