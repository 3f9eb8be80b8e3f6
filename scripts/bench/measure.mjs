// Measurement helpers for the benchmark scripts: bounded loops, percentiles, formatting, and the gateway and
// Docker steps the backend scripts share.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Calls `call` `count` times one after the other and returns each call's duration in ms. */
export async function runSequential(call, count) {
  const durations = new Array(count);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    durations[i] = performance.now() - started;
  }
  return durations;
}

/** Keeps `concurrency` calls in flight for `durationMs` and returns completed calls per second. */
export async function runClosedLoop(call, concurrency, durationMs) {
  const until = performance.now() + durationMs;
  let completed = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await call();
      completed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return completed / ((performance.now() - started) / 1000);
}

/**
 * Keeps `concurrency` calls in flight for `durationMs`: completed calls per second, the latency of each call
 * under that load (p50, p99), and how many failed (a failed call counts in neither throughput nor latency).
 */
export async function runLoad(call, concurrency, durationMs) {
  const until = performance.now() + durationMs;
  const durations = [];
  let failed = 0;
  let firstError;
  const worker = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await call();
        durations.push(performance.now() - started);
      } catch (error) {
        failed++;
        firstError ??= error;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  if (firstError !== undefined) console.error(`${failed} calls failed, the first with: ${firstError.message}`);
  return { throughput: durations.length / elapsed, ...summarize(durations), failed };
}

/**
 * When each call of a long window ended and how long it took, in typed arrays: a minute at 20,000 calls/s kept as
 * a million small arrays would make the load generator's own garbage collection slow it down as the window goes on.
 */
class CallTimings {
  at = new Float64Array(1 << 16);
  ms = new Float64Array(1 << 16);
  length = 0;

  push(at, ms) {
    if (this.length === this.at.length) {
      const grown = (old) => {
        const bigger = new Float64Array(old.length * 2);
        bigger.set(old);
        return bigger;
      };
      this.at = grown(this.at);
      this.ms = grown(this.ms);
    }
    this.at[this.length] = at;
    this.ms[this.length] = ms;
    this.length++;
  }

  /** The durations of the calls that ended in [from, to). */
  between(from, to) {
    const inside = [];
    for (let i = 0; i < this.length; i++) if (this.at[i] >= from && this.at[i] < to) inside.push(this.ms[i]);
    return inside;
  }
}

/**
 * `runLoad` over a long window, with the first and the last `edgeMs` reported on their own as well, so that a
 * throughput that collapses as the run goes on (sockets piling up in TIME_WAIT) shows.
 */
export async function runSustained(call, concurrency, durationMs, edgeMs = 10_000) {
  const startedAt = Date.now();
  const started = performance.now();
  const until = started + durationMs;
  const done = new CallTimings();
  let failed = 0;
  let firstError;
  const worker = async () => {
    while (performance.now() < until) {
      const at = performance.now();
      try {
        await call();
        const end = performance.now();
        done.push(end, end - at);
      } catch (error) {
        failed++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ended = performance.now();
  if (firstError !== undefined) console.error(`${failed} calls failed, the first with: ${firstError.message}`);
  const part = (from, to) => {
    const inside = done.between(from, to);
    return { calls: inside.length, throughput: inside.length / ((to - from) / 1000), ...summarize(inside) };
  };
  // Each `edgeMs` of the window in turn, with its start as an offset from `startedAt` (epoch ms), so that what
  // the processes spent in the same seconds can be put beside it.
  const series = [];
  for (let from = started; from + edgeMs <= ended + 1; from += edgeMs) {
    series.push({ offsetMs: Math.round(from - started), ...part(from, from + edgeMs) });
  }
  return {
    startedAt,
    durationMs: ended - started,
    whole: { ...part(started, ended + 1), failed },
    first: part(started, started + edgeMs),
    last: part(ended - edgeMs, ended + 1),
    series,
  };
}

export function summarize(durations) {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

export const formatMs = (ms) => (ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`);

/** Sequential latency (after a warm-up) then closed-loop throughput of one call. */
export async function measureCall(call, { latencyCalls, concurrency, seconds, warmupCalls = WARMUP_CALLS }) {
  const warmup = await runSequential(call, warmupCalls);
  const latency = summarize(await runSequential(call, latencyCalls));
  const throughput = await runClosedLoop(call, concurrency, seconds * 1000);
  return { ...latency, throughput, firstP50: firstCallsP50(warmup) };
}

/**
 * Sequential calls made before latency is measured. V8 compiles a process's hot code after thousands of calls,
 * not hundreds: a gateway answers its first thousand runs about twice as slowly as it does from the third
 * thousand on, so a short warm-up would measure the compiler, not the gateway.
 */
export const WARMUP_CALLS = 5000;

/** The p50 of the first thousand calls of a warm-up: what a caller sees right after a start. */
export function firstCallsP50(warmup) {
  return warmup.length === 0 ? undefined : summarize(warmup.slice(0, 1000)).p50;
}

/** The settings every backend shares, from the environment. */
export function benchSettings(env = process.env) {
  return {
    seconds: Number(env.BENCH_SECONDS ?? 5),
    concurrency: Number(env.BENCH_CONCURRENCY ?? 32),
    latencyCalls: Number(env.BENCH_LATENCY_CALLS ?? 2000),
    warmupCalls: Number(env.BENCH_WARMUP_CALLS ?? WARMUP_CALLS),
  };
}

/** The trivial nodejs function every backend runs. */
export const TRIVIAL_NODE = { file: 'trivial.js', code: 'module.exports = () => ({ ok: true });\n', handler: 'trivial.js' };

/** The body of a funker or HTTP-mode call to Dispatch's function server, as the gateway sends it. */
export const RUN_REQUEST = { context: { secrets: {}, timeout: 30000 }, payload: { name: 'bench' } };

/**
 * A caller that POSTs `body` to `url` with node:http (keep-alive through `agent`) and fails on any status but
 * 200. `headers` may carry a Host (which fetch would drop) or an Authorization.
 */
export function httpPoster(url, body, { agent, headers = {} }) {
  const target = new URL(url);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const allHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers };
  return () =>
    new Promise((resolve, reject) => {
      const request = http.request(target, { method: 'POST', agent, headers: allHeaders }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          if (response.statusCode !== 200) reject(new Error(`${url} answered ${response.statusCode}: ${Buffer.concat(chunks)}`));
          else resolve();
        });
      });
      request.on('error', reject);
      request.end(text);
    });
}

/** Polls `check` until it returns something other than undefined, at most `timeoutMs`. */
export async function waitFor(what, check, { timeoutMs, intervalMs = 50 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A child process with a time limit; resolves with its stdout, rejects with its stderr. */
export function run(command, args, { timeoutMs = 120_000, env, cwd, maxBuffer = 64 * 1024 * 1024 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', env, cwd, maxBuffer }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${command} ${args.join(' ')}: ${error.killed ? `killed after ${timeoutMs} ms` : error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The gateway's REST API, with a bearer token when one is given. */
export function gatewayApi(base, token) {
  return async (method, path, body) => {
    const headers = {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const json = text === '' ? undefined : JSON.parse(text);
    if (!response.ok) {
      const error = new Error(`${method} ${path}: ${response.status} ${text}`);
      error.status = response.status;
      throw error;
    }
    return json;
  };
}

/** Waits until every image of the gateway is READY (the seeded ones included), so nothing builds beside the clock. */
export async function waitForImages(api, languages, timeoutMs) {
  await waitFor(
    `the images ${languages.join(', ')} to be READY`,
    async () => {
      const images = await api('GET', '/v1/image');
      const failed = images.find((image) => image.status === 'ERROR');
      if (failed) throw new Error(`image ${failed.name}: ${failed.reason}`);
      const ready = languages.every((name) => images.some((image) => image.name === name && image.status === 'READY'));
      return ready && images.every((image) => image.status === 'READY') ? true : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Creates a function and resolves with the milliseconds from the create request to READY. */
export async function createFunctionTimed(api, { name, image, source, handler }, timeoutMs) {
  const started = performance.now();
  await api('POST', '/v1/function', { name, image, source, handler });
  await waitFor(
    `function ${name} to be READY`,
    async () => {
      const fn = await api('GET', `/v1/function/${name}`);
      if (fn.status === 'ERROR') throw new Error(`${name}: ${fn.reason}`);
      return fn.status === 'READY' ? true : undefined;
    },
    { timeoutMs, intervalMs: 5 },
  );
  return performance.now() - started;
}

/** Deletes a function and waits until the gateway no longer knows it. */
export async function deleteFunction(api, name, timeoutMs) {
  await api('DELETE', `/v1/function/${name}`).catch((error) => {
    if (error.status !== 404) throw error;
  });
  await waitFor(
    `function ${name} to be deleted`,
    () =>
      api('GET', `/v1/function/${name}`).then(
        () => undefined,
        (error) => (error.status === 404 ? true : undefined),
      ),
    { timeoutMs, intervalMs: 50 },
  );
}

/** The `repository:tag` references of the images on the Docker engine whose repository matches `pattern`. */
export async function imageRefs(pattern) {
  const out = await run('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { timeoutMs: 30_000 });
  return new Set(out.split('\n').filter((ref) => ref !== '' && !ref.endsWith(':<none>') && pattern.test(ref.split(':')[0])));
}

/**
 * Removes, at clean-up, the images a bench run built: its function's and the seeded ones, the latter only when
 * they were not there before the run (a developer's own images stay).
 */
export async function removeImagesBuiltByRun(cleanup, functionName) {
  const ours = new RegExp(`^dispatch/(fn-${functionName}|image-(nodejs|python3)|(nodejs|python3)-base)$`);
  const refsBefore = await imageRefs(ours);
  cleanup.add(async () => {
    const created = [...(await imageRefs(ours))].filter((ref) => !refsBefore.has(ref));
    if (created.length > 0)
      await run('docker', ['image', 'rm', ...created], { timeoutMs: 120_000 }).catch((error) => console.error(error.message));
  });
}

/**
 * Cleanup steps, run once, last added first: when the script calls `run()`, and on SIGINT/SIGTERM, an uncaught
 * error, or when `limitMs` passes (then the process exits with 1). Each step is bounded by its own commands' time limits.
 */
export function cleanupOnExit(limitMs) {
  const steps = [];
  let running;
  const runAll = () => {
    running ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (error) {
          console.error(`cleanup: ${error.message}`);
        }
      }
    })();
    return running;
  };
  const abort = (why) => {
    console.error(why);
    void runAll().finally(() => process.exit(1));
  };
  const timer = setTimeout(() => abort(`time limit of ${Math.round(limitMs / 1000)} s reached: cleaning up`), limitMs);
  timer.unref();
  process.once('SIGINT', () => abort('interrupted: cleaning up'));
  process.once('SIGTERM', () => abort('terminated: cleaning up'));
  process.once('uncaughtException', (error) => abort(`${error.stack ?? error}\ncleaning up`));
  process.once('unhandledRejection', (error) => abort(`${error?.stack ?? error}\ncleaning up`));
  return { add: (step) => steps.push(step), run: runAll };
}
