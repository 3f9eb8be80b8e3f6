#!/usr/bin/env node
// The async section of `npm run bench`: async runs (`blocking: false`) through the durable queue, on the SQLite
// store and on PostgreSQL. Reports how many runs per second are submitted (202) and completed, and the latency from
// submission to completion (the trivial function answers the time it ran). Loopback only; stops by itself.
//
// Options (environment): BENCH_ASYNC_RUNS (runs per store, default 5000), BENCH_CONCURRENCY (submitters, default 32),
// BENCH_ASYNC_STORES (default "sqlite,postgres"; PostgreSQL is the test cluster of scripts/postgres/ensure-test-cluster.sh,
// or DISPATCH_TEST_POSTGRES_URL).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { packSource } from '@dispatch/core';
import { formatMs, freePort } from './measure.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = Number(process.env.BENCH_ASYNC_RUNS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const STORES = (process.env.BENCH_ASYNC_STORES ?? 'sqlite,postgres')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-async-'));
const children = [];
const cleanups = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

/** The admin token of the gateways this script starts (the admin API always requires one). */
const TOKEN = randomBytes(16).toString('hex');
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function request(base, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: `Bearer ${TOKEN}` };
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const req = http.request(new URL(path, base), { method, agent, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (response.statusCode >= 300) reject(new Error(`${method} ${path}: ${response.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function postgresDatabase() {
  let server = process.env.DISPATCH_TEST_POSTGRES_URL;
  if (!server) {
    const output = execFileSync('bash', [join(root, 'scripts/postgres/ensure-test-cluster.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    server = /DISPATCH_TEST_POSTGRES_URL=(\S+)/.exec(output)[1];
  }
  const name = `dispatch_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function startGateway(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'apps/gateway/dist/server.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DISPATCH_PORT: String(port),
      DISPATCH_LOG_LEVEL: 'warn',
      DISPATCH_RUN_HISTORY: String(RUNS * 2),
      DISPATCH_TOKEN: TOKEN,
      ...env,
    },
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`${base}/healthz`).catch(() => undefined))?.ok) return { base, child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the gateway did not start');
}

async function benchStore(store) {
  const env = { DISPATCH_DATA_DIR: join(work, store) };
  if (store === 'postgres') env.DISPATCH_STORE_URL = await postgresDatabase();
  const { base, child } = await startGateway(env);
  for (;;) {
    if ((await request(base, 'GET', '/v1/image/nodejs')).status === 'READY') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const file = join(work, 'clock.js');
  writeFileSync(file, 'module.exports = () => ({ ranAt: Date.now() });\n');
  await request(base, 'POST', '/v1/function', { name: 'clock', image: 'nodejs', source: (await packSource(file)).toString('base64') });
  for (;;) {
    if ((await request(base, 'GET', '/v1/function/clock')).status === 'READY') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const submittedAt = new Map();
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < RUNS) {
        next++;
        const at = Date.now();
        const run = await request(base, 'POST', '/v1/runs?functionName=clock', { blocking: false, input: null });
        submittedAt.set(run.id, at);
      }
    }),
  );
  const submittedIn = Date.now() - started;

  // One list request at a time while the queue drains (a list answers at most 1000 runs: the newest, which the
  // queue reaches last), then every run read by its id, again until all have finished.
  const isFinished = (run) => run.status === 'READY' || run.status === 'ERROR';
  for (;;) {
    const newest = await request(base, 'GET', `/v1/runs?functionName=clock&limit=${Math.min(RUNS, 1000)}`);
    if (newest.every(isFinished)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const finished = [];
  const pending = [...submittedAt.keys()];
  while (pending.length > 0) {
    const unfinished = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
          const run = await request(base, 'GET', `/v1/runs/${id}`);
          (isFinished(run) ? finished : unfinished).push(run);
        }
      }),
    );
    if (unfinished.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    pending.push(...unfinished.map((run) => run.id));
  }
  const failed = finished.filter((run) => run.status !== 'READY').length;
  const latencies = finished.map((run) => run.output.ranAt - submittedAt.get(run.id)).sort((a, b) => a - b);
  const lastCompletion = Math.max(...finished.map((run) => run.output.ranAt));
  child.kill('SIGTERM');
  return {
    store,
    submittedPerSecond: RUNS / (submittedIn / 1000),
    completedPerSecond: RUNS / ((lastCompletion - started) / 1000),
    p50: latencies[Math.floor(latencies.length / 2)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    failed,
  };
}

try {
  const rows = [];
  for (const store of STORES) rows.push(await benchStore(store));
  console.log(
    `\n### Async runs of a trivial function, local backend (${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})\n`,
  );
  console.log(`${RUNS} async runs per store, submitted by ${CONCURRENCY} concurrent callers; each is stored and queued before its 202.\n`);
  console.log('| store | submitted (runs/s) | completed (runs/s) | submission → completion p50 | p99 | failed |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.store} | ${Math.round(row.submittedPerSecond)} | ${Math.round(row.completedPerSecond)} | ${formatMs(row.p50)} | ${formatMs(row.p99)} | ${row.failed} |`,
    );
  }
} finally {
  agent.destroy();
  for (const cleanup of cleanups) await cleanup().catch((error) => console.error(`cleanup: ${error.message}`));
}
process.exit(0);
