#!/usr/bin/env node
// The run-lists section of `npm run bench`: how long the store takes to list the 50 newest runs a schedule started
// (`GET /v1/runs?schedule=`, which the console's schedule link polls every 5 s), through the indexed `schedule`
// column, beside the same list read by scanning every run's JSON (the query before schema 5) and a function's runs
// (the runs page's usual list), all in the same run on the same store. On SQLite the list runs on the gateway's
// event loop, so its time is time no call is served.
//
// Options (environment): BENCH_LIST_RUNS (runs stored, default 100000: 100 functions at the 1000 kept each, one
// run in 50 started by the schedule), BENCH_LIST_STORES (default "sqlite,postgres"; PostgreSQL is
// DISPATCH_TEST_POSTGRES_URL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore, openSqliteStore } from '@dispatch/core';
import { formatMs, summarize } from './measure.mjs';

const RUNS = Number(process.env.BENCH_LIST_RUNS ?? 100_000);
const STORES = (process.env.BENCH_LIST_STORES ?? 'sqlite,postgres').split(',').filter(Boolean);
const LISTS = 50;
const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-lists-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function runAt(i) {
  const scheduled = i % 50 === 0;
  return {
    name: `run-${i}`,
    id: `run-${i}`,
    functionName: `fn-${i % 100}`,
    blocking: !scheduled,
    input: { i },
    output: { text: 'x'.repeat(400) },
    logs: { stdout: ['a line'], stderr: [] },
    secrets: [],
    status: 'READY',
    reason: '',
    executedTime: 1_700_000_000 + i,
    finishedTime: 1_700_000_000 + i,
    ...(scheduled ? { schedule: 'nightly', scheduledTime: 1_700_000_000 + i } : {}),
  };
}

async function time(read) {
  await read();
  const durations = [];
  for (let k = 0; k < LISTS; k++) {
    const started = performance.now();
    await read();
    durations.push(performance.now() - started);
  }
  return summarize(durations);
}

async function fill(store) {
  for (let i = 0; i < RUNS; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, RUNS - i) }, (_, k) => store.runs.insert(runAt(i + k))));
  }
}

async function sqlite() {
  const store = openSqliteStore(join(work, 'sqlite'));
  await fill(store);
  await store.runs.list({ limit: 1 }); // writes the last batch
  const db = new Database(join(work, 'sqlite', 'dispatch.db'), { readonly: true });
  const scan = db.prepare(
    "SELECT json FROM runs WHERE json_extract(json, '$.schedule') = ? ORDER BY executed_time DESC, rowid DESC LIMIT 50",
  );
  const rows = {
    'a schedule’s runs (indexed column)': await time(() => store.runs.list({ schedule: 'nightly', limit: 50 })),
    'a schedule’s runs of one function (indexed column)': await time(() =>
      store.runs.list({ schedule: 'nightly', functionName: 'fn-0', limit: 50 }),
    ),
    'reference: a schedule’s runs by scanning the JSON': await time(async () => scan.all('nightly').map((row) => JSON.parse(row.json))),
    'reference: a function’s runs': await time(() => store.runs.list({ functionName: 'fn-7', limit: 50 })),
  };
  db.close();
  await store.close();
  return rows;
}

async function postgres() {
  const url = process.env.DISPATCH_TEST_POSTGRES_URL;
  if (!url) return undefined;
  const database = `dispatch_bench_lists_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const target = new URL(url);
  target.pathname = `/${database}`;
  try {
    const store = await openPostgresStore(target.toString(), { maxConnections: 8 });
    await fill(store);
    const pool = new pg.Pool({ connectionString: target.toString(), max: 1 });
    await pool.query('ANALYZE runs');
    const scan = () =>
      pool.query("SELECT json FROM runs WHERE (json::jsonb ->> 'schedule') = $1 ORDER BY executed_time DESC, seq DESC LIMIT 50", [
        'nightly',
      ]);
    const rows = {
      'a schedule’s runs (indexed column)': await time(() => store.runs.list({ schedule: 'nightly', limit: 50 })),
      'a schedule’s runs of one function (indexed column)': await time(() =>
        store.runs.list({ schedule: 'nightly', functionName: 'fn-0', limit: 50 }),
      ),
      'reference: a schedule’s runs by scanning the JSON': await time(scan),
      'reference: a function’s runs': await time(() => store.runs.list({ functionName: 'fn-7', limit: 50 })),
    };
    await pool.end();
    await store.close();
    return rows;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

const results = {};
if (STORES.includes('sqlite')) results.SQLite = await sqlite();
if (STORES.includes('postgres')) results.PostgreSQL = await postgres();
console.log(
  `\n### Listing runs by schedule (${RUNS} runs stored, ${RUNS / 50} of them the schedule's; p50 / p99 of ${LISTS} lists of 50)\n`,
);
console.log('| list | store | p50 | p99 |\n|---|---|---|---|');
for (const [store, rows] of Object.entries(results)) {
  if (rows === undefined) continue;
  for (const [what, { p50, p99 }] of Object.entries(rows)) console.log(`| ${what} | ${store} | ${formatMs(p50)} | ${formatMs(p99)} |`);
}
