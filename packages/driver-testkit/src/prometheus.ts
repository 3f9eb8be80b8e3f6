import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

/** Debian's Prometheus server (`apt-get install prometheus`). */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/**
 * Whether the Prometheus tests can run: the server installed. Absent: skip with a message on a developer's machine,
 * fail in CI (`CI=true`), where .ci/run installs it.
 */
export async function requirePrometheus(): Promise<boolean> {
  if (
    await access(PROMETHEUS_BINARY).then(
      () => true,
      () => false,
    )
  )
    return true;
  const how = 'apt-get install prometheus (.ci/run installs it)';
  if (process.env.CI === 'true') throw new Error(`these tests need ${PROMETHEUS_BINARY}: ${how}`);
  console.warn(`skipping: ${PROMETHEUS_BINARY} missing; ${how}`);
  return false;
}

export interface TestPrometheusOptions {
  /** `host:port` of the server to scrape. */
  target: string;
  /** Sent as `Authorization: Bearer <token>`, read by Prometheus from a file as a deployment would (`credentials_file`). */
  bearerToken?: string;
  /** Default `/metrics`. */
  metricsPath?: string;
}

/** One series of an instant query's answer: its labels, and its value as Prometheus writes it (a string). */
export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A Prometheus server started for a test; `stop()` ends it and removes its folder. */
export interface TestPrometheus {
  /** `http://127.0.0.1:<port>`: the HTTP API. */
  url: string;
  /** An instant query through `/api/v1/query`; throws when Prometheus refuses it. */
  query(promql: string): Promise<PrometheusSample[]>;
  /** The scrape target's health as Prometheus last saw it (`up`, `down`, `unknown`) and its last error. */
  target(): Promise<{ health: string; lastError: string } | undefined>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on a free loopback port, its configuration and storage in a temporary folder, scraping
 * `target` every second.
 */
export async function startTestPrometheus(options: TestPrometheusOptions): Promise<TestPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'dispatch-prometheus-'));
  const address = `127.0.0.1:${await freePort()}`;
  const lines = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: dispatch',
    `    metrics_path: ${options.metricsPath ?? '/metrics'}`,
    '    static_configs:',
    `      - targets: ['${options.target}']`,
  ];
  if (options.bearerToken !== undefined) {
    await writeFile(join(dir, 'token'), options.bearerToken, { mode: 0o600 });
    lines.push('    authorization:', '      type: Bearer', `      credentials_file: ${join(dir, 'token')}`);
  }
  await writeFile(join(dir, 'prometheus.yml'), `${lines.join('\n')}\n`);
  const server: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${address}`],
    { cwd: dir, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = `http://${address}`;

  async function stop(): Promise<void> {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }

  const deadline = Date.now() + 30_000;
  while ((await fetch(`${url}/-/ready`).catch(() => undefined))?.status !== 200) {
    if (Date.now() > deadline || server.exitCode !== null) {
      await stop();
      throw new Error(`Prometheus did not become ready on ${address}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: PrometheusSample[] } };
      if (body.status !== 'success' || !body.data) throw new Error(`Prometheus refused ${promql}: ${body.error ?? response.status}`);
      return body.data.result;
    },
    async target() {
      const response = await fetch(`${url}/api/v1/targets`);
      const body = (await response.json()) as { data: { activeTargets: { health: string; lastError: string }[] } };
      const [first] = body.data.activeTargets;
      return first ? { health: first.health, lastError: first.lastError } : undefined;
    },
    stop,
  };
}
