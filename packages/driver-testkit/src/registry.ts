import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';
import { startTokenService } from './registry-token-service.js';
import type { TokenService } from './registry-token-service.js';

/** Debian's registry v2 server (`apt-get install docker-registry`). */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** `htpasswd` from Debian's apache2-utils, to make the registry's bcrypt password file. */
export const HTPASSWD_BINARY = '/usr/bin/htpasswd';

/** A registry started for a test; `stop()` ends it and removes its storage. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the engine treats loopback registries as plain HTTP without configuration. */
  address: string;
  /** The login, when the registry was started with one. */
  username?: string;
  password?: string;
  stop(): Promise<void>;
}

/**
 * Whether the registry tests can run: the binaries present. Absent: skip with a message on a developer's machine,
 * fail in CI (`CI=true`), where .ci/run installs them.
 */
export async function requireRegistry(options: { auth?: boolean } = {}): Promise<boolean> {
  const needed = options.auth ? [REGISTRY_BINARY, HTPASSWD_BINARY] : [REGISTRY_BINARY];
  const missing: string[] = [];
  for (const binary of needed)
    if (
      !(await access(binary).then(
        () => true,
        () => false,
      ))
    )
      missing.push(binary);
  if (missing.length === 0) return true;
  const how = `apt-get install docker-registry apache2-utils (.ci/run installs them)`;
  if (process.env.CI === 'true') throw new Error(`these tests need ${missing.join(' and ')}: ${how}`);
  console.warn(`skipping: ${missing.join(' and ')} missing; ${how}`);
  return false;
}

/** How the test registry authenticates: a login checked by the registry (htpasswd), or tokens (Bearer). */
export interface TestRegistryOptions {
  auth?: { username: string; password: string };
  /** `htpasswd` (default): Basic auth against a `htpasswd -B` file; `token`: the Bearer token dance with a token service. */
  scheme?: 'htpasswd' | 'token';
  /** The address to listen on (default 127.0.0.1); another address must be one the engine treats as an insecure registry. */
  host?: string;
}

/**
 * Starts Debian's docker-registry on a free loopback port, with its storage in a temporary folder. With `auth`,
 * the registry requires that login: from an htpasswd file made with `htpasswd -B`, or (`scheme: 'token'`) through
 * a token service that issues signed tokens for it, as Docker Hub and most hosted registries do.
 */
export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'dispatch-registry-'));
  const address = `${options.host ?? '127.0.0.1'}:${await freePort()}`;
  const lines = [
    'version: 0.1',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
  ];
  let tokens: TokenService | undefined;
  if (options.auth && options.scheme === 'token') {
    tokens = await startTokenService(dir, options.auth);
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${tokens.realm}`,
      `    service: ${tokens.service}`,
      `    issuer: ${tokens.issuer}`,
      `    rootcertbundle: ${tokens.certificatePath}`,
    );
  } else if (options.auth) {
    await promisify(execFile)(HTPASSWD_BINARY, ['-Bbc', join(dir, 'htpasswd'), options.auth.username, options.auth.password]);
    lines.push('auth:', '  htpasswd:', '    realm: dispatch-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const registry: ChildProcess = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => registry.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  // /v2/ answers 200 anonymously, 401 with a login: either says the registry is up.
  while (![200, 401].includes((await fetch(`http://${address}/v2/`).catch(() => undefined))?.status ?? 0)) {
    if (Date.now() > deadline || registry.exitCode !== null) {
      registry.kill();
      await tokens?.stop();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`the registry did not answer on ${address}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    address,
    ...(options.auth ?? {}),
    async stop() {
      registry.kill();
      await exited;
      await tokens?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
