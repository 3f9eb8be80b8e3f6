/* eslint-disable @typescript-eslint/no-explicit-any -- the test reads the merged stack file */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireEngine } from '@dispatch/driver-testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// swarm/stack-postgres.yml, deployed with stack.yml, runs 2+ gateway replicas on one PostgreSQL service. Docker
// itself merges the two files here (`docker stack config`), as `docker stack deploy -c … -c …` does.
const swarmDir = fileURLToPath(new URL('..', import.meta.url));
const docker = await requireEngine('docker');

async function merged(env: Record<string, string>): Promise<{ services: Record<string, any>; networks: Record<string, any> }> {
  const { stdout } = await promisify(execFile)('docker', ['stack', 'config', '-c', 'stack.yml', '-c', 'stack-postgres.yml'], {
    cwd: swarmDir,
    env: { PATH: process.env.PATH, DISPATCH_TOKEN: 'token', ...env },
  });
  return parse(stdout);
}

describe.skipIf(!docker)('swarm/stack-postgres.yml', () => {
  it('runs two gateway replicas, each on its own node, on a PostgreSQL service of a network of their own', async () => {
    const config = await merged({ DISPATCH_POSTGRES_PASSWORD: 'pw' });
    const { gateway, postgres } = config.services;
    expect(gateway.deploy.replicas).toBe(2);
    expect(gateway.deploy.placement.max_replicas_per_node).toBe(1);
    expect(gateway.environment.DISPATCH_STORE_URL).toBe('postgres://dispatch:pw@postgres:5432/dispatch');
    expect(gateway.environment.DISPATCH_BACKEND).toBe('swarm');
    expect(Object.keys(gateway.networks).sort()).toEqual(['dispatch', 'state']);
    expect(Object.keys(postgres.networks)).toEqual(['state']);
    expect(postgres.deploy.endpoint_mode).toBe('dnsrr');
    expect(postgres.environment).toMatchObject({ POSTGRES_USER: 'dispatch', POSTGRES_PASSWORD: 'pw', POSTGRES_DB: 'dispatch' });
    expect(postgres.volumes[0]).toMatchObject({ source: 'dispatch-postgres', target: '/var/lib/postgresql/data' });
    expect(config.networks.state.driver).toBe('overlay');
    expect((await merged({ DISPATCH_POSTGRES_PASSWORD: 'pw', DISPATCH_GATEWAY_REPLICAS: '3' })).services.gateway.deploy.replicas).toBe(3);
  });

  it('refuses to deploy without the database password', async () => {
    await expect(merged({})).rejects.toThrow(/DISPATCH_POSTGRES_PASSWORD/);
  });
});
