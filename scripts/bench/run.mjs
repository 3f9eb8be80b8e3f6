#!/usr/bin/env node
// `npm run bench`: latency and throughput of blocking runs through the gateway at concurrency 1 and 64, next to
// a bare fastify route and a direct call to the same function server (over one wire connection, as the gateway
// calls it, and over funker, a connection per call) measured in the same run, plus the time from create to READY.
// Prints a Markdown report (copy it into docs/benchmarks.md). Everything runs on loopback and stops by itself.
//
// Options (environment): BENCH_SECONDS (throughput window per case, default 5), BENCH_CONCURRENCY (default 64),
// BENCH_LATENCY_CALLS (sequential calls for p50/p99, default 2000), BENCH_WARMUP_CALLS (sequential calls before
// those, default 5000), BENCH_LANGUAGES (default "nodejs,python3"),
// BENCH_BACKENDS (default "local,async,coldstart": blocking runs, then async runs on SQLite and PostgreSQL from
// scripts/bench/async-runs.mjs, then cold starts from zero from scripts/bench/cold-starts.mjs ("swarmcold": on Swarm, scripts/bench/swarm-cold-starts.mjs); "local,swarm,knative" adds the sections of scripts/bench/swarm.mjs and
// scripts/bench/knative.mjs, each run as its own process, stopped after BENCH_BACKEND_TIME_LIMIT seconds, default 1800;
// "images" adds scripts/bench/images.mjs: a function image assembled in a registry beside `docker build`; "lists" adds
// scripts/bench/run-lists.mjs: a schedule's runs listed through the store's index beside a scan of the runs' JSON).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WireConnection, funkerCall, packSource } from '@dispatch/core';
import { functionServerCommand } from '@dispatch/runtimes';
import { WARMUP_CALLS, firstCallsP50, freePort, summarize, runLoad, runSequential, formatMs } from './measure.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const latencyCalls = Number(process.env.BENCH_LATENCY_CALLS ?? 2000);
const warmupCalls = Number(process.env.BENCH_WARMUP_CALLS ?? WARMUP_CALLS);
const languages = (process.env.BENCH_LANGUAGES ?? 'nodejs,python3').split(',');
const backends = (process.env.BENCH_BACKENDS ?? 'local,async,coldstart')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const BACKEND_SCRIPTS = {
  swarm: 'swarm.mjs',
  knative: 'knative.mjs',
  images: 'images.mjs',
  async: 'async-runs.mjs',
  coldstart: 'cold-starts.mjs',
  swarmcold: 'swarm-cold-starts.mjs',
  lists: 'run-lists.mjs',
};
for (const name of backends) {
  if (name !== 'local' && !(name in BACKEND_SCRIPTS))
    throw new Error(`BENCH_BACKENDS: unknown backend "${name}" (local, async, coldstart, swarm, swarmcold, knative, images, lists)`);
}

const TRIVIAL = {
  nodejs: { file: 'trivial.js', code: 'module.exports = () => ({ ok: true });\n', handler: 'trivial.js' },
  python3: { file: 'trivial.py', code: 'def handle(ctx, payload):\n    return {"ok": True}\n', handler: 'trivial.handle' },
};

const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-'));
const children = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

/**
 * Starts a function server directly, as the local backend does (a Unix socket of its own), and resolves with
 * the socket's path and its funker port (the same server also listening on TCP, for the classic funker case).
 */
function startFunctionServer(language, dir, socket) {
  const { command, args } = functionServerCommand(language);
  const child = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    env: {
      ...process.env,
      DISPATCH_FUNCTION_DIR: dir,
      DISPATCH_HANDLER: TRIVIAL[language].handler,
      DISPATCH_MODE: 'funker',
      DISPATCH_FUNKER_PORT: '0',
      DISPATCH_HOST: '127.0.0.1',
      DISPATCH_STATUS_FD: '3',
      ...(socket === undefined ? {} : { DISPATCH_SOCKET: socket }),
    },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdio[3].on('data', (chunk) => {
      text += chunk;
      if (!text.includes('\n')) return;
      const status = JSON.parse(text.split('\n')[0]);
      if (status.status === 'ready') resolve(status.port);
      else reject(new Error(status.message));
    });
    child.on('exit', (code) => reject(new Error(`function server exited with ${code}`)));
  });
}

/** The bare fastify route (scripts/bench/bare-fastify.mjs) in a process of its own; resolves with its port. */
function startBareFastify() {
  const child = spawn(process.execPath, [join(root, 'scripts/bench/bare-fastify.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  bareProcess = child;
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
    child.on('exit', (code) => reject(new Error(`the bare fastify route exited with ${code}`)));
  });
}

/** The server processes whose CPU time per request the report gives (the bare route's, the gateway's). */
let bareProcess;
let gatewayProcess;

/**
 * CPU time (user + system, ms) a process has used so far, from /proc; undefined where there is none. On a busy
 * machine wall-clock rates move with the neighbours, CPU time per request much less.
 */
function cpuMsOf(child) {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on Linux everywhere it runs. */
const CLOCK_TICKS = 100;

/** The admin token of the gateway this script starts (the admin API always requires one). */
const TOKEN = randomBytes(16).toString('hex');

async function startGateway() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'apps/gateway/dist/server.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DISPATCH_PORT: String(port),
      DISPATCH_DATA_DIR: join(work, 'gateway'),
      DISPATCH_LOG_LEVEL: 'warn',
      DISPATCH_TOKEN: TOKEN,
    },
  });
  children.push(child);
  gatewayProcess = child;
  const base = `http://127.0.0.1:${port}`;
  // Up to 60 s: on a busy machine the gateway's start (its store, its first image) took longer than 10 s.
  for (let i = 0; i < 1200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return base;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the gateway did not start');
}

async function api(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function createAndWait(base, name, language, dir) {
  // The image seeded on the gateway's first start must be READY before the clock starts.
  for (;;) {
    const image = await api(base, 'GET', `/v1/image/${language}`);
    if (image.status === 'READY') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const source = (await packSource(join(dir, TRIVIAL[language].file))).toString('base64');
  const started = performance.now();
  await api(base, 'POST', '/v1/function', { name, image: language, source, handler: TRIVIAL[language].handler });
  for (;;) {
    const fn = await api(base, 'GET', `/v1/function/${name}`);
    if (fn.status === 'READY') return performance.now() - started;
    if (fn.status === 'ERROR') throw new Error(`${name}: ${fn.reason}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function gatewayCaller(base, name, agent) {
  const url = new URL(`${base}/v1/runs?functionName=${name}`);
  const body = JSON.stringify({ input: { name: 'bench' }, blocking: true });
  return () =>
    new Promise((resolve, reject) => {
      const request = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => {
            if (response.statusCode !== 200) reject(new Error(`run answered ${response.statusCode}: ${Buffer.concat(chunks)}`));
            else resolve();
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

function funkerCaller(port) {
  const request = { context: { secrets: {}, timeout: 30000 }, payload: { name: 'bench' } };
  return async () => {
    const envelope = await funkerCall(request, { host: '127.0.0.1', port, deadline: Date.now() + 30000 });
    if (envelope?.context?.error) throw new Error(envelope.context.error.message);
  };
}

/** Calls over one long-lived wire connection, as the local backend does. */
function wireCaller(connection) {
  const body = JSON.stringify({ context: { secrets: {}, timeout: 30000 }, payload: { name: 'bench' } });
  return async () => {
    const envelope = JSON.parse((await connection.call(body, { deadline: Date.now() + 30000 })).toString('utf8'));
    if (envelope?.context?.error) throw new Error(envelope.context.error.message);
  };
}

function bareCaller(port, agent) {
  const url = new URL(`http://127.0.0.1:${port}/bare`);
  const body = JSON.stringify({ input: { name: 'bench' }, blocking: true });
  return () =>
    new Promise((resolve, reject) => {
      const request = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 200 ? resolve() : reject(new Error(`bare route answered ${response.statusCode}`)),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

/**
 * Concurrency 1 (sequential calls: latency and runs/s), then `concurrency` callers for `seconds`; with `server`,
 * the CPU time that process spent per call in the second window.
 */
async function measureBoth(call, server) {
  const warmup = await runSequential(call, warmupCalls);
  const startedAt = performance.now();
  const sequential = await runSequential(call, latencyCalls);
  const one = {
    ...summarize(sequential),
    throughput: latencyCalls / ((performance.now() - startedAt) / 1000),
    firstP50: firstCallsP50(warmup),
  };
  const cpuBefore = server && cpuMsOf(server);
  const loadStarted = performance.now();
  const many = await runLoad(call, concurrency, seconds * 1000);
  const calls = (many.throughput * (performance.now() - loadStarted)) / 1000;
  const cpuAfter = server && cpuMsOf(server);
  const cpuPerCallMs = cpuBefore === undefined || cpuAfter === undefined || calls === 0 ? undefined : (cpuAfter - cpuBefore) / calls;
  return { one, many, cpuPerCallMs };
}

/** The local section: the gateway and the function server as processes on this machine, and the CLI. */
async function benchLocal() {
  const base = await startGateway();
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const rows = [];
  rows.push({
    language: '',
    path: 'bare fastify route (ceiling)',
    ...(await measureBoth(bareCaller(await startBareFastify(), agent), bareProcess)),
  });
  for (const language of languages) {
    const dir = join(work, language);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, TRIVIAL[language].file), TRIVIAL[language].code);

    const readyMs = await createAndWait(base, `bench-${language.replace(/\d/g, '')}`, language, dir);
    const socket = join(work, `${language}.sock`);
    await startFunctionServer(language, dir, socket);
    const connection = await WireConnection.connect({ path: socket });
    const tcpPort = await startFunctionServer(language, dir);
    const cases = [
      { path: 'direct wire call (reference)', call: wireCaller(connection) },
      { path: 'direct funker call, a connection per call', call: funkerCaller(tcpPort) },
      { path: 'through the gateway', call: gatewayCaller(base, `bench-${language.replace(/\d/g, '')}`, agent) },
    ];
    for (const { path, call } of cases) {
      const gateway = path === 'through the gateway';
      rows.push({
        language,
        path,
        ...(await measureBoth(call, gateway ? gatewayProcess : undefined)),
        readyMs: gateway ? readyMs : undefined,
      });
    }
    connection.close();
  }

  // CLI start-up: whole `dispatch` processes, as a user runs them, against the same gateway.
  const cliRuns = Number(process.env.BENCH_CLI_RUNS ?? 20);
  const cli = join(root, 'apps/cli/bin/run.js');
  const gatewayPort = new URL(base).port;
  async function timeCli(args) {
    const durations = [];
    for (let i = 0; i < cliRuns + 2; i++) {
      const started = performance.now();
      await promisify(execFile)(process.execPath, [cli, ...args], {
        env: { ...process.env, HOME: work, DISPATCH_PORT: gatewayPort, DISPATCH_TOKEN: TOKEN },
      });
      if (i >= 2) durations.push(performance.now() - started); // the first two warm the file cache
    }
    durations.sort((a, b) => a - b);
    return { p50: durations[Math.floor(durations.length / 2)], max: durations[durations.length - 1] };
  }
  const nodeAlone = await (async () => {
    const durations = [];
    for (let i = 0; i < cliRuns; i++) {
      const started = performance.now();
      await promisify(execFile)(process.execPath, ['-e', '0']);
      durations.push(performance.now() - started);
    }
    durations.sort((a, b) => a - b);
    return { p50: durations[Math.floor(durations.length / 2)], max: durations[durations.length - 1] };
  })();
  const cliRows = [
    ['`node -e 0` (reference: Node alone)', nodeAlone],
    ['`dispatch --version`', await timeCli(['--version'])],
    ['`dispatch get function`', await timeCli(['get', 'function'])],
  ];

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\n### Blocking runs of a trivial function, local backend (${cpus().length} cores, ${cpu}, Node ${process.version})\n`);
  console.log(
    `Concurrency 1: ${latencyCalls} sequential calls after ${warmupCalls} to warm up; concurrency ${concurrency}: closed loop for ${seconds} s.\n`,
  );
  console.log(
    `| language | path | c=1 p50 | c=1 p99 | c=1 runs/s | c=${concurrency} p50 | c=${concurrency} p99 | c=${concurrency} runs/s | failed | create → READY |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const { language, path, one, many, readyMs } of rows) {
    const cells = [
      language,
      path,
      formatMs(one.p50),
      formatMs(one.p99),
      Math.round(one.throughput),
      formatMs(many.p50),
      formatMs(many.p99),
      Math.round(many.throughput),
      many.failed,
      readyMs === undefined ? '' : formatMs(readyMs),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  for (const language of languages) {
    const direct = rows.find((row) => row.language === language && row.path.startsWith('direct wire'));
    const gateway = rows.find((row) => row.language === language && row.path === 'through the gateway');
    console.log(
      `\n${language}: the gateway adds ${formatMs(gateway.one.p50 - direct.one.p50)} at p50 (concurrency 1) over a direct wire call.`,
    );
    if (gateway.one.firstP50 !== undefined) {
      console.log(
        `${language}: the first 1000 runs after the function was READY, before the warm-up ended, had a p50 of ${formatMs(gateway.one.firstP50)}.`,
      );
    }
    const bare = rows[0];
    if (gateway.cpuPerCallMs !== undefined && bare.cpuPerCallMs !== undefined) {
      console.log(
        `${language}: at concurrency ${concurrency} the gateway used ${gateway.cpuPerCallMs.toFixed(3)} ms of CPU per run ` +
          `(the bare fastify route ${bare.cpuPerCallMs.toFixed(3)} ms per request).`,
      );
    }
  }
  console.log(`\n### CLI start-up (${cliRuns} runs each, whole processes)\n`);
  console.log('| command | p50 | max |');
  console.log('|---|---|---|');
  for (const [command, timing] of cliRows) console.log(`| ${command} | ${formatMs(timing.p50)} | ${formatMs(timing.max)} |`);
  agent.destroy();
}

/** Runs the section of another backend as its own process; it cleans up after itself, even when stopped. */
function benchBackend(name) {
  const limitMs = Number(process.env.BENCH_BACKEND_TIME_LIMIT ?? 1800) * 1000;
  const child = spawn(process.execPath, [join(root, 'scripts/bench', BACKEND_SCRIPTS[name])], { stdio: 'inherit', env: process.env });
  children.push(child);
  return new Promise((resolve, reject) => {
    const stop = setTimeout(() => {
      console.error(`${name}: no result after ${limitMs / 1000} s, stopping it`);
      child.kill('SIGTERM');
    }, limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(stop);
      if (code === 0) resolve();
      else reject(new Error(`the ${name} bench failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

let failed = false;
for (const name of backends) {
  try {
    if (name === 'local') await benchLocal();
    else await benchBackend(name);
  } catch (error) {
    failed = true;
    console.error(`\n${name}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
