#!/usr/bin/env node
// The cold-start section of `npm run bench` (BENCH_BACKENDS=…,coldstart): a trivial function with `minReplicas: 0`
// on the local backend, left idle until the gateway stopped its process, then called; the run's `coldStartMs`
// (the hold until a process answered) and the whole call as the client sees it, next to two references measured
// in the same run: a warm call of the same function, and the function server started directly (spawn → ready,
// no sandbox, no gateway). Loopback only; stops by itself and removes its data folder.
//
// Options (environment): BENCH_COLD_STARTS (cold calls per language, default 10), BENCH_LANGUAGES (default
// "nodejs,python3").
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packSource } from '@dispatch/core';
import { functionServerCommand } from '@dispatch/runtimes';
import { cleanupOnExit, formatMs, freePort, gatewayApi, waitFor, waitForImages } from './measure.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 10);
const languages = (process.env.BENCH_LANGUAGES ?? 'nodejs,python3').split(',').map((name) => name.trim());
/** The gateway's idle window: short, so that a function is back at zero soon after each call. */
const IDLE_MS = 300;
const TRIVIAL = {
  nodejs: { file: 'trivial.js', code: 'module.exports = () => ({ ok: true });\n', handler: 'trivial.js' },
  python3: { file: 'trivial.py', code: 'def handle(ctx, payload):\n    return {"ok": True}\n', handler: 'trivial.handle' },
};

const cleanup = cleanupOnExit(600_000);
const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-cold-'));
cleanup.add(() => rmSync(work, { recursive: true, force: true }));
const token = randomBytes(16).toString('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Milliseconds from spawning the function server to its ready line: what any cold start pays at least. */
async function directStart(language, dir) {
  const { command, args } = functionServerCommand(language);
  const started = performance.now();
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
    },
  });
  try {
    await new Promise((resolve, reject) => {
      child.stdio[3].on('data', (chunk) => (String(chunk).includes('"ready"') ? resolve() : reject(new Error(String(chunk)))));
      child.on('exit', (code) => reject(new Error(`the function server exited with ${code}`)));
    });
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
  }
}

const port = await freePort();
const gateway = spawn(process.execPath, [join(root, 'apps/gateway/dist/server.js')], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    DISPATCH_PORT: String(port),
    DISPATCH_DATA_DIR: join(work, 'gateway'),
    DISPATCH_LOG_LEVEL: 'warn',
    DISPATCH_TOKEN: token,
    DISPATCH_SCALE_IDLE_MS: String(IDLE_MS),
  },
});
cleanup.add(() => gateway.kill('SIGTERM'));
const base = `http://127.0.0.1:${port}`;
await waitFor(
  'the gateway',
  () =>
    fetch(`${base}/healthz`).then(
      (response) => response.ok || undefined,
      () => undefined,
    ),
  { timeoutMs: 60_000 },
);
const api = gatewayApi(base, token);
await waitForImages(api, languages, 300_000);

const rows = [];
for (const language of languages) {
  const dir = join(work, language);
  rmSync(dir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  writeFileSync(join(dir, TRIVIAL[language].file), TRIVIAL[language].code);
  const name = `cold-${language.replace(/\d/g, '')}`;
  const source = (await packSource(join(dir, TRIVIAL[language].file))).toString('base64');
  await api('POST', '/v1/function', { name, image: language, source, handler: TRIVIAL[language].handler, minReplicas: 0, maxReplicas: 1 });
  await waitFor(`${name} READY`, async () => ((await api('GET', `/v1/function/${name}`)).status === 'READY' ? true : undefined), {
    timeoutMs: 120_000,
  });

  const call = async () => {
    const started = performance.now();
    const run = await api('POST', `/v1/runs?functionName=${name}`, { input: {}, blocking: true });
    return { run, ms: performance.now() - started };
  };
  const cold = [];
  const held = [];
  while (cold.length < COLD_STARTS) {
    // Two idle windows: the check that stops the process runs once per window.
    await sleep(2 * IDLE_MS + 100);
    const { run, ms } = await call();
    if (run.error) throw new Error(`${name}: ${run.error.message}`);
    if (!(run.coldStartMs > 0)) continue; // still warm: the idle check had not run yet
    cold.push(ms);
    held.push(run.coldStartMs);
  }
  const warm = [];
  for (let i = 0; i < 50; i++) warm.push((await call()).ms);
  const direct = [];
  for (let i = 0; i < 5; i++) direct.push(await directStart(language, dir));
  rows.push({ language, cold: median(cold), held: median(held), maxCold: Math.max(...cold), warm: median(warm), direct: median(direct) });
  await api('DELETE', `/v1/function/${name}`);
}

console.log(
  `\n### Cold starts from zero, local backend (${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})\n`,
);
console.log(`A trivial function with \`minReplicas: 0\`, called ${COLD_STARTS} times after its process was stopped (p50 of each).\n`);
console.log(
  '| language | function server started directly (reference) | held for the start (`coldStartMs`) | cold call, client side | max cold call | warm call (reference) |',
);
console.log('|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(
    `| ${row.language} | ${formatMs(row.direct)} | ${formatMs(row.held)} | ${formatMs(row.cold)} | ${formatMs(row.maxCold)} | ${formatMs(row.warm)} |`,
  );
}
await cleanup.run();
process.exit(0);
