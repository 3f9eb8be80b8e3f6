/* eslint-disable @typescript-eslint/no-explicit-any -- the test reads the merged stack file */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireEngine } from '@dispatch/driver-testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// swarm/stack-registry.yml, deployed with stack.yml, gives the gateway a registry whose password is a Docker secret.
// Docker itself merges the two files here (`docker stack config`), as `docker stack deploy -c … -c …` does.
const swarmDir = fileURLToPath(new URL('..', import.meta.url));
const docker = await requireEngine('docker');

async function merged(env: Record<string, string>): Promise<{ services: Record<string, any>; secrets: Record<string, any> }> {
  const { stdout } = await promisify(execFile)('docker', ['stack', 'config', '-c', 'stack.yml', '-c', 'stack-registry.yml'], {
    cwd: swarmDir,
    env: { PATH: process.env.PATH, ...env },
  });
  return parse(stdout);
}

describe.skipIf(!docker)('swarm/stack-registry.yml', () => {
  it('passes the token and the registry password as secret files, never as environment variables', async () => {
    const config = await merged({ DISPATCH_REGISTRY_URL: 'registry.example.com:5000', DISPATCH_REGISTRY_PASSWORD_SECRET: 'pw-secret' });
    const { gateway } = config.services;
    expect(gateway.environment).toMatchObject({
      DISPATCH_REGISTRY_URL: 'registry.example.com:5000',
      DISPATCH_REGISTRY_PASSWORD_FILE: '/run/secrets/dispatch_registry_password',
      DISPATCH_TOKEN_FILE: '/run/secrets/dispatch_token',
    });
    expect(Object.keys(gateway.environment)).not.toContain('DISPATCH_TOKEN');
    expect(Object.keys(gateway.environment)).not.toContain('DISPATCH_REGISTRY_PASSWORD');
    expect(gateway.secrets.map((secret: { source: string }) => secret.source).sort()).toEqual([
      'dispatch_registry_password',
      'dispatch_token',
    ]);
    expect(config.secrets).toEqual({
      dispatch_registry_password: { name: 'pw-secret', external: true },
      dispatch_token: { name: 'dispatch_token', external: true },
    });
  });

  it('refuses to deploy without the registry URL', async () => {
    await expect(merged({})).rejects.toThrow(/DISPATCH_REGISTRY_URL/);
  });
});
