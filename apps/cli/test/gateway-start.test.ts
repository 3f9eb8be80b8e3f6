import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureCliBuilt } from './helpers/build.js';
import { runCli, runCliOk } from './helpers/cli.js';

describe('dispatch gateway start', () => {
  let dir: string;

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'dispatch-cli-gateway-'));
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a gateway in the foreground that the CLI can use, until it is stopped', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: dir };
    const gateway = spawn(
      process.execPath,
      [BIN, 'gateway', 'start', '--port', '0', '--data-dir', join(dir, 'data'), '--log-level', 'warn'],
      {
        cwd: dir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => gateway.on('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        gateway.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
          const match = /listening on (http:\/\/\S+) \(backend: local\)/.exec(stderr);
          if (match?.[1]) resolve(match[1]);
        });
        void exited.then((code) => reject(new Error(`the gateway exited (${code}): ${stderr}`)));
      });
      const port = new URL(url).port;
      const images = JSON.parse(await runCliOk(['get', 'images', '-o', 'json', '--port', port], { cwd: dir, env })) as { name: string }[];
      expect(images.map((image) => image.name).sort()).toEqual(['nodejs', 'python3']);

      const second = await runCli(['gateway', 'start', '--port', port, '--data-dir', join(dir, 'other')], { cwd: dir, env });
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(`[Code: 409] 127.0.0.1:${port} is in use: is a gateway running already? Choose another with --port\n`);
      // The bare CLI found the token this gateway generated, through the runtime file it left for its user.
      expect((await stat(join(dir, '.dispatch/run', `gateway-${port}.json`))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'data/admin-token'))).mode & 0o777).toBe(0o600);
    } finally {
      gateway.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    await expect(readdir(join(dir, '.dispatch/run'))).resolves.toEqual([]);
  }, 60_000);

  it('refuses an unknown backend with 400, naming the backends there are', async () => {
    const result = await runCli(['gateway', 'start', '--backend', 'mainframe', '--port', '0', '--data-dir', join(dir, 'unknown')], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('[Code: 400] unknown backend "mainframe": the backends are local, swarm, knative\n');
  });
});
