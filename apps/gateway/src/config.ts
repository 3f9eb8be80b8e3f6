import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isPostgresUrl, secretFromEnv } from '@dispatch/core';
import type { QueueSettings } from '@dispatch/core';
import { DEFAULT_BODY_LIMIT } from './app.js';
import { triggerOptionsFromEnv } from './triggers/trigger-options-from-env.js';
import type { TriggerOptions } from './triggers/triggers.js';

/** How the gateway is started; `gatewayConfigFromEnv` reads it from `DISPATCH_*` variables. */
export interface GatewayConfig {
  port: number;
  host: string;
  /** Where the SQLite store, the generated admin token and the backend's files live. */
  dataDir: string;
  /** A `postgres://` URL: keep the state in PostgreSQL (several gateways may share it) instead of SQLite. */
  storeUrl?: string;
  /** The backend's name in the driver registry: `local`, … */
  backend: string;
  /** The admin API's bearer token; without one, a token is generated into the data folder on first start. */
  token?: string;
  /** Host names the admin API answers to besides loopback names, IP addresses and `host` (`DISPATCH_ALLOWED_HOSTS`). */
  allowedHosts: string[];
  /** Web origins allowed to call the admin API (`DISPATCH_ALLOWED_ORIGINS`); cross-site requests are refused otherwise. */
  allowedOrigins: string[];
  bodyLimit: number;
  logLevel: string;
  /** Create the default base images and images on a new store (default true). */
  seedDefaults: boolean;
  /** How trigger endpoints check their callers: `DISPATCH_ALEXA_*` and `DISPATCH_SNS_*` (see `triggerOptionsFromEnv`). */
  triggers?: TriggerOptions;
  /** Runs kept per function in the history (`DISPATCH_RUN_HISTORY`, default 1000). */
  runHistory?: number;
  /** The async run queue's settings that differ from the defaults (`DISPATCH_QUEUE_*`). */
  queue?: Partial<QueueSettings>;
  /** The key that signs run callbacks; by default the secret `dispatch-callbacks` holds one. */
  callbackSigningKey?: string;
  /** Who may read `/metrics` besides the admin token: `DISPATCH_METRICS_TOKEN` (or `_FILE`), `DISPATCH_METRICS_PUBLIC`. */
  metrics?: { public?: boolean; token?: string };
}

/** The queue settings read from the environment: variable, field, lowest and highest value. */
const QUEUE_VARIABLES: [string, keyof QueueSettings, number, number][] = [
  ['DISPATCH_QUEUE_CONCURRENCY', 'concurrency', 1, 10_000],
  ['DISPATCH_QUEUE_PER_FUNCTION', 'perFunctionConcurrency', 1, 10_000],
  ['DISPATCH_QUEUE_MAX', 'maxQueued', 1, Number.MAX_SAFE_INTEGER],
  ['DISPATCH_QUEUE_LEASE_MS', 'leaseMs', 100, 3_600_000],
  ['DISPATCH_QUEUE_POLL_MS', 'pollMs', 10, 60_000],
  ['DISPATCH_RUN_ATTEMPTS', 'platformAttempts', 1, 100],
  ['DISPATCH_RETRY_BACKOFF_MS', 'backoffMs', 1, 3_600_000],
  ['DISPATCH_CALLBACK_ATTEMPTS', 'callbackAttempts', 1, 1000],
  ['DISPATCH_CALLBACK_BACKOFF_MS', 'callbackBackoffMs', 1, 3_600_000],
  ['DISPATCH_CALLBACK_TIMEOUT_MS', 'callbackTimeoutMs', 100, 600_000],
  ['DISPATCH_IDEMPOTENCY_WINDOW_MS', 'idempotencyWindowMs', 1000, 365 * 24 * 3_600_000],
];

function queueSettings(env: NodeJS.ProcessEnv): Partial<QueueSettings> | undefined {
  const settings: Partial<QueueSettings> = {};
  for (const [name, field, min, max] of QUEUE_VARIABLES) {
    if (text(env, name) !== undefined) settings[field] = integer(env, name, 0, min, max);
  }
  return Object.keys(settings).length ? settings : undefined;
}

/** Who reads `/metrics` besides the admin token; undefined when nothing is set (the admin token only). */
function metricsAccess(env: NodeJS.ProcessEnv): GatewayConfig['metrics'] {
  const isPublic = flag(env, 'DISPATCH_METRICS_PUBLIC', false);
  const token = secretFromEnv(env, 'DISPATCH_METRICS_TOKEN');
  if (!isPublic && token === undefined) return undefined;
  return { public: isPublic, ...(token === undefined ? {} : { token }) };
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_BACKEND = 'local';
export const DEFAULT_LOG_LEVEL = 'info';

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, not "${env[name]}"`);
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A comma-separated setting, as a list without blanks. */
function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (text(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function storeUrl(env: NodeJS.ProcessEnv): string | undefined {
  const url = text(env, 'DISPATCH_STORE_URL');
  if (url !== undefined && !isPostgresUrl(url)) {
    throw new Error('DISPATCH_STORE_URL must be a postgres:// URL (leave it unset for the SQLite store in DISPATCH_DATA_DIR)');
  }
  return url;
}

/**
 * The per-user data folder, outside any checkout: `$XDG_DATA_HOME/dispatch`, else `~/.local/share/dispatch`.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = text(env, 'XDG_DATA_HOME');
  return xdg ? join(xdg, 'dispatch') : join(env.HOME ?? homedir(), '.local', 'share', 'dispatch');
}

/**
 * Reads `DISPATCH_PORT` (8080), `DISPATCH_HOST` (127.0.0.1), `DISPATCH_DATA_DIR` (`~/.local/share/dispatch`),
 * `DISPATCH_BACKEND` (local), `DISPATCH_STORE_URL` (postgres://…), `DISPATCH_TOKEN` or `DISPATCH_TOKEN_FILE`, `DISPATCH_ALLOWED_HOSTS`, `DISPATCH_ALLOWED_ORIGINS`, `DISPATCH_BODY_LIMIT` (bytes, 6 MiB), `DISPATCH_LOG_LEVEL` (info),
 * `DISPATCH_SEED_DEFAULTS` (true), and the trigger settings `DISPATCH_ALEXA_VERIFY`, `DISPATCH_ALEXA_TRUST_ANCHORS`,
 * `DISPATCH_ALEXA_CERT_MIRROR`, the queue's `DISPATCH_QUEUE_*` and friends (docs/durability.md),
 * `DISPATCH_CALLBACK_SECRET`, and who reads `/metrics`: `DISPATCH_METRICS_TOKEN` (or `DISPATCH_METRICS_TOKEN_FILE`),
 * `DISPATCH_METRICS_PUBLIC` (false).
 */
export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): GatewayConfig {
  return {
    port: integer(env, 'DISPATCH_PORT', DEFAULT_PORT, 0, 65535),
    host: text(env, 'DISPATCH_HOST') ?? DEFAULT_HOST,
    dataDir: resolve(cwd, text(env, 'DISPATCH_DATA_DIR') ?? defaultDataDir(env)),
    backend: text(env, 'DISPATCH_BACKEND') ?? DEFAULT_BACKEND,
    storeUrl: storeUrl(env),
    // `DISPATCH_TOKEN`, else the file `DISPATCH_TOKEN_FILE` names (a Docker or Kubernetes secret).
    token: secretFromEnv(env, 'DISPATCH_TOKEN'),
    allowedHosts: list(env, 'DISPATCH_ALLOWED_HOSTS'),
    allowedOrigins: list(env, 'DISPATCH_ALLOWED_ORIGINS'),
    bodyLimit: integer(env, 'DISPATCH_BODY_LIMIT', DEFAULT_BODY_LIMIT, 1, Number.MAX_SAFE_INTEGER),
    logLevel: text(env, 'DISPATCH_LOG_LEVEL') ?? DEFAULT_LOG_LEVEL,
    seedDefaults: flag(env, 'DISPATCH_SEED_DEFAULTS', true),
    triggers: triggerOptionsFromEnv(env),
    runHistory:
      text(env, 'DISPATCH_RUN_HISTORY') === undefined ? undefined : integer(env, 'DISPATCH_RUN_HISTORY', 1000, 1, Number.MAX_SAFE_INTEGER),
    queue: queueSettings(env),
    callbackSigningKey: text(env, 'DISPATCH_CALLBACK_SECRET'),
    metrics: metricsAccess(env),
  };
}
