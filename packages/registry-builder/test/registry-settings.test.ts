import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registryFromEnv } from '../src/registry-settings.js';

describe('registryFromEnv', () => {
  it('reads the password from DISPATCH_REGISTRY_PASSWORD_FILE (a Docker or Kubernetes secret)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-registry-settings-'));
    try {
      await writeFile(join(dir, 'password'), 'pw-from-file\n');
      const env = {
        DISPATCH_REGISTRY_URL: 'registry.example.com',
        DISPATCH_REGISTRY_USERNAME: 'dispatch',
        DISPATCH_REGISTRY_PASSWORD_FILE: join(dir, 'password'),
      };
      expect(registryFromEnv(env)).toMatchObject({ url: 'registry.example.com', username: 'dispatch', password: 'pw-from-file' });
      expect(registryFromEnv({ ...env, DISPATCH_REGISTRY_PASSWORD: 'direct' })?.password).toBe('direct');
      expect(registryFromEnv({ DISPATCH_REGISTRY_PASSWORD_FILE: join(dir, 'password') })).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
