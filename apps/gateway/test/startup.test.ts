import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { isolatedPostgresUrl, postgresTestUrl } from '@dispatch/driver-testkit';
import { describe, expect, it } from 'vitest';
import { NoSuchBackendError } from '@dispatch/core';
import { gatewayConfigFromEnv } from '../src/config.js';
import { createDriver, knownBackends } from '../src/drivers.js';
import { isLoopbackHost, startGateway } from '../src/index.js';

const postgresUrl = postgresTestUrl();

describe('gateway configuration', () => {
  it('has defaults for every setting', () => {
    expect(gatewayConfigFromEnv({}, '/srv')).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/srv/.dispatch-data',
      backend: 'local',
      token: undefined,
      bodyLimit: 6 * 1024 * 1024,
      logLevel: 'info',
      seedDefaults: true,
      triggers: { alexa: { verify: true } },
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
        DISPATCH_BODY_LIMIT: '1024',
        DISPATCH_LOG_LEVEL: 'debug',
        DISPATCH_SEED_DEFAULTS: 'false',
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
      bodyLimit: 1024,
      logLevel: 'debug',
      seedDefaults: false,
      triggers: { alexa: { verify: true } },
    });
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
  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startGateway({ host: '0.0.0.0', port: 0, dataDir: join(tmpdir(), 'never-created') })).rejects.toThrow(
      /DISPATCH_TOKEN/,
    );
  });

  it('listens on the configured address with the local backend, and stops', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-gateway-start-'));
    const gateway = await startGateway({ port: 0, dataDir, logger: pino({ level: 'silent' }) });
    try {
      expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${gateway.url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const version = await fetch(`${gateway.url}/v1/version`);
      expect(await version.json()).toMatchObject({ backend: 'local' });
    } finally {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(postgresUrl === undefined)('keeps its state in PostgreSQL when DISPATCH_STORE_URL names one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-gateway-start-'));
    const { url: storeUrl, drop } = await isolatedPostgresUrl(postgresUrl as string);
    const options = { port: 0, dataDir, storeUrl, seedDefaults: false, logger: pino({ level: 'silent' }) };
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
  }, 120_000);

  it('fails with the list of backends for an unknown backend', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-gateway-start-'));
    try {
      await expect(
        startGateway({ port: 0, dataDir, backend: 'nope', logger: pino({ level: 'silent' }) }),
      ).rejects.toThrow(/unknown backend "nope": the backends are local/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
