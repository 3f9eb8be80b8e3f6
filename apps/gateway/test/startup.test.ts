import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { isolatedPostgresUrl, postgresTestUrl } from '@dispatch/driver-testkit';
import { describe, expect, it } from 'vitest';
import { NoSuchBackendError } from '@dispatch/core';
import { gatewayConfigFromEnv } from '../src/config.js';
import { createDriver, knownBackends } from '../src/drivers.js';
import { findLocalGateway, isLoopbackHost, startGateway } from '../src/index.js';

const postgresUrl = postgresTestUrl();

describe('gateway configuration', () => {
  it('has defaults for every setting', () => {
    expect(gatewayConfigFromEnv({ HOME: '/home/ada' }, '/srv')).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/home/ada/.local/share/dispatch',
      backend: 'local',
      token: undefined,
      allowedHosts: [],
      allowedOrigins: [],
      bodyLimit: 6 * 1024 * 1024,
      logLevel: 'info',
      seedDefaults: true,
      triggers: { alexa: { verify: true }, sns: {} },
    });
  });

  it('reads the DISPATCH_* variables', () => {
    const config = gatewayConfigFromEnv(
      {
        DISPATCH_PORT: '9000',
        DISPATCH_HOST: '0.0.0.0',
        DISPATCH_DATA_DIR: 'state',
        DISPATCH_BACKEND: 'swarm',
        DISPATCH_STORE_URL: 'postgres://dispatch@db:5432/dispatch',
        DISPATCH_TOKEN: 'secret',
        DISPATCH_ALLOWED_HOSTS: 'dispatch.example.com',
        DISPATCH_ALLOWED_ORIGINS: ' https://ops.example.com, http://localhost:3000,',
        DISPATCH_BODY_LIMIT: '1024',
        DISPATCH_LOG_LEVEL: 'debug',
        DISPATCH_SEED_DEFAULTS: 'false',
        DISPATCH_METRICS_TOKEN: 'scrape-only',
        DISPATCH_METRICS_PUBLIC: 'no',
      },
      '/srv',
    );
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      dataDir: resolve('/srv', 'state'),
      backend: 'swarm',
      storeUrl: 'postgres://dispatch@db:5432/dispatch',
      token: 'secret',
      allowedHosts: ['dispatch.example.com'],
      allowedOrigins: ['https://ops.example.com', 'http://localhost:3000'],
      bodyLimit: 1024,
      logLevel: 'debug',
      seedDefaults: false,
      triggers: { alexa: { verify: true }, sns: {} },
      metrics: { public: false, token: 'scrape-only' },
    });
  });

  it('keeps its data in the per-user XDG data folder, outside any checkout', () => {
    expect(gatewayConfigFromEnv({ HOME: '/home/ada', XDG_DATA_HOME: '/data/ada' }, '/srv').dataDir).toBe('/data/ada/dispatch');
  });

  it('reads the token from DISPATCH_TOKEN_FILE (a Docker or Kubernetes secret), DISPATCH_TOKEN first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-token-file-'));
    try {
      const file = join(dir, 'token');
      await writeFile(file, 'from-a-file\n');
      expect(gatewayConfigFromEnv({ DISPATCH_TOKEN_FILE: file }).token).toBe('from-a-file');
      expect(gatewayConfigFromEnv({ DISPATCH_TOKEN_FILE: file, DISPATCH_TOKEN: 'direct' }).token).toBe('direct');
      expect(() => gatewayConfigFromEnv({ DISPATCH_TOKEN_FILE: join(dir, 'missing') })).toThrow(/DISPATCH_TOKEN_FILE: cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a port or body limit that is not a number', () => {
    expect(() => gatewayConfigFromEnv({ DISPATCH_PORT: 'http' })).toThrow(/DISPATCH_PORT/);
    expect(() => gatewayConfigFromEnv({ DISPATCH_BODY_LIMIT: '6MB' })).toThrow(/DISPATCH_BODY_LIMIT/);
    expect(() => gatewayConfigFromEnv({ DISPATCH_SEED_DEFAULTS: 'maybe' })).toThrow(/DISPATCH_SEED_DEFAULTS must be true or false/);
    expect(() => gatewayConfigFromEnv({ DISPATCH_STORE_URL: 'mysql://db' })).toThrow(/DISPATCH_STORE_URL must be a postgres:\/\/ URL/);
  });

  it('tells loopback hosts from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe('the driver registry', () => {
  it('names the known backends when asked for an unknown one', async () => {
    expect(knownBackends()).toContain('local');
    const failure = await createDriver('mainframe', { dataDir: tmpdir() }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NoSuchBackendError);
    expect(failure).toMatchObject({ code: 400, backend: 'mainframe', knownBackends: ['local', 'swarm', 'knative'] });
    expect((failure as Error).message).toBe('unknown backend "mainframe": the backends are local, swarm, knative');
  });
});

describe('startGateway', () => {
  it('generates a token on first start, requires it on loopback, and tells the CLI where it is', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-gateway-start-'));
    const runtimeDir = join(dataDir, 'run');
    const options = { port: 0, dataDir, runtimeDir, seedDefaults: false, logger: pino({ level: 'silent' }) };
    try {
      const gateway = await startGateway(options);
      const tokenFile = join(dataDir, 'admin-token');
      let runtimeFile = '';
      try {
        expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await readFile(tokenFile, 'utf8')).trim()).toBe(gateway.token);
        expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
        expect(gateway.token.length).toBeGreaterThanOrEqual(32);

        const health = await fetch(`${gateway.url}/healthz`);
        expect(await health.json()).toEqual({ status: 'ok' });
        expect((await fetch(`${gateway.url}/v1/version`)).status).toBe(401);
        expect((await fetch(`${gateway.url}/v1/function`)).status).toBe(401);
        const create = await fetch(`${gateway.url}/v1/secret`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'stolen', secrets: { a: 'b' } }),
        });
        expect(create.status).toBe(401);
        const version = await fetch(`${gateway.url}/v1/version`, { headers: { authorization: `Bearer ${gateway.token}` } });
        expect(await version.json()).toMatchObject({ backend: 'local' });
        expect(await gateway.dispatch.secrets.list()).toEqual([]);

        const port = Number(new URL(gateway.url).port);
        runtimeFile = join(runtimeDir, `gateway-${port}.json`);
        expect((await stat(runtimeFile)).mode & 0o777).toBe(0o600);
        expect(await findLocalGateway(port, { DISPATCH_RUNTIME_DIR: runtimeDir })).toMatchObject({
          port,
          token: gateway.token,
          url: gateway.url,
        });
      } finally {
        await gateway.close();
      }
      await expect(stat(runtimeFile)).rejects.toThrow(/ENOENT/);

      // A restart keeps the token, so scripts and contexts holding it keep working.
      const again = await startGateway(options);
      await again.close();
      expect(again.token).toBe(gateway.token);
      // A configured token wins over the kept one.
      const configured = await startGateway({ ...options, token: 'configured' });
      await configured.close();
      expect(configured.token).toBe('configured');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(postgresUrl === undefined)(
    'keeps its state in PostgreSQL when DISPATCH_STORE_URL names one',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-gateway-start-'));
      const { url: storeUrl, drop } = await isolatedPostgresUrl(postgresUrl as string);
      const options = { port: 0, dataDir, storeUrl, seedDefaults: false, runtimeDir: false as const, logger: pino({ level: 'silent' }) };
      try {
        const first = await startGateway(options);
        await first.dispatch.secrets.create({ name: 'kept', secrets: { a: 'b' } });
        await first.close();
        const second = await startGateway(options);
        expect(await second.dispatch.secrets.get('kept')).toMatchObject({ name: 'kept', status: 'READY' });
        await second.close();
        expect(await readdir(dataDir)).not.toContain('dispatch.db');
      } finally {
        await rm(dataDir, { recursive: true, force: true });
        await drop();
      }
    },
    120_000,
  );

  it('fails with the list of backends for an unknown backend', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-gateway-start-'));
    try {
      await expect(startGateway({ port: 0, dataDir, backend: 'nope', logger: pino({ level: 'silent' }) })).rejects.toThrow(
        /unknown backend "nope": the backends are local/,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
