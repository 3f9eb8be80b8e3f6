// Measurement helpers for the benchmark scripts: bounded loops, percentiles, formatting.
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

export function summarize(durations) {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

export const formatMs = (ms) => (ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`);
