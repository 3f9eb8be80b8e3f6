import { resolve } from 'node:path';
import { isPostgresUrl } from '@dispatch/core';
import { DEFAULT_BODY_LIMIT } from './app.js';
import { triggerOptionsFromEnv } from './triggers/trigger-options-from-env.js';
import type { TriggerOptions } from './triggers/triggers.js';

/** How the gateway is started; `gatewayConfigFromEnv` reads it from `DISPATCH_*` variables. */
export interface GatewayConfig {
  port: number;
  host: string;
  /** Where the SQLite store and the backend's files live. */
  dataDir: string;
  /** A `postgres://` URL: keep the state in PostgreSQL (several gateways may share it) instead of SQLite. */
  storeUrl?: string;
  /** The backend's name in the driver registry: `local`, … */
  backend: string;
  /** The admin API's bearer token; required when `host` is not loopback. */
  token?: string;
  bodyLimit: number;
  logLevel: string;
  /** Create the default base images and images on a new store (default true). */
  seedDefaults: boolean;
  /** How trigger endpoints check their callers: `DISPATCH_ALEXA_*` (see `triggerOptionsFromEnv`). */
  triggers?: TriggerOptions;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = '.dispatch-data';
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

function storeUrl(env: NodeJS.ProcessEnv): string | undefined {
  const url = text(env, 'DISPATCH_STORE_URL');
  if (url !== undefined && !isPostgresUrl(url)) {
    throw new Error('DISPATCH_STORE_URL must be a postgres:// URL (leave it unset for the SQLite store in DISPATCH_DATA_DIR)');
  }
  return url;
}

/**
 * Reads `DISPATCH_PORT` (8080), `DISPATCH_HOST` (127.0.0.1), `DISPATCH_DATA_DIR` (`./.dispatch-data`),
 * `DISPATCH_BACKEND` (local), `DISPATCH_STORE_URL` (postgres://…), `DISPATCH_TOKEN`, `DISPATCH_BODY_LIMIT` (bytes, 6 MiB), `DISPATCH_LOG_LEVEL` (info),
 * `DISPATCH_SEED_DEFAULTS` (true), and the trigger settings `DISPATCH_ALEXA_VERIFY`, `DISPATCH_ALEXA_TRUST_ANCHORS`,
 * `DISPATCH_ALEXA_CERT_MIRROR`.
 */
export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): GatewayConfig {
  return {
    port: integer(env, 'DISPATCH_PORT', DEFAULT_PORT, 0, 65535),
    host: text(env, 'DISPATCH_HOST') ?? DEFAULT_HOST,
    dataDir: resolve(cwd, text(env, 'DISPATCH_DATA_DIR') ?? DEFAULT_DATA_DIR),
    backend: text(env, 'DISPATCH_BACKEND') ?? DEFAULT_BACKEND,
    storeUrl: storeUrl(env),
    token: text(env, 'DISPATCH_TOKEN'),
    bodyLimit: integer(env, 'DISPATCH_BODY_LIMIT', DEFAULT_BODY_LIMIT, 1, Number.MAX_SAFE_INTEGER),
    logLevel: text(env, 'DISPATCH_LOG_LEVEL') ?? DEFAULT_LOG_LEVEL,
    seedDefaults: flag(env, 'DISPATCH_SEED_DEFAULTS', true),
    triggers: triggerOptionsFromEnv(env),
  };
}
