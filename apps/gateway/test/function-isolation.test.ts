import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SQLITE_STORE_FILE } from '@dispatch/core';
import type { Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';

/** A variable only the gateway has: a function that sees it sees the gateway's environment. */
const CANARY = 'GATEWAY_CANARY_CREDENTIAL';
const TOKEN = 'isolation-test-token';
/** The checkout: its node_modules hold fastify, which no function may load. */
const REPO_ROOT = resolve(EXAMPLES, '..');

const bwrapWorks = spawnSync('bwrap', ['--version']).status === 0;
if (!bwrapWorks && process.env.CI === 'true') throw new Error('bubblewrap (bwrap) is needed on CI: .ci/run installs it');

/** Everything a hostile function would try, in one. */
const PROBE = `
const fs = require('node:fs');
const attempt = (read) => { try { return read(); } catch (error) { return error.code || error.message; } };
module.exports = async function (context, payload) {
  console.log(JSON.stringify(process.env));
  const admin = await fetch(payload.adminUrl + '/v1/secret');
  return {
    env: process.env,
    uid: process.getuid(),
    root: fs.readdirSync('/'),
    store: attempt(() => fs.readFileSync(payload.storeFile).length),
    dataDir: attempt(() => fs.readdirSync(payload.dataDir)),
    fastify: attempt(() => typeof require('fastify')),
    admin: admin.status,
  };
};
`;

/** An ES module handler: import() resolves packages without Module._nodeModulePaths. */
const PROBE_ESM = `
export default async function () {
  try {
    await import('fastify');
    return 'found';
  } catch (error) {
    return error.code;
  }
}
`;

interface Probe {
  env: Record<string, string>;
  uid: number;
  root: string[];
  store: number | string;
  dataDir: string[] | string;
  fastify: string;
  admin: number;
}

for (const mode of ['required', 'off'] as const) {
  describe.skipIf(mode === 'required' && !bwrapWorks)(`a function on the local backend with DISPATCH_SANDBOX=${mode}`, () => {
    let gateway: TestGateway;
    let adminUrl: string;
    let dataDir: string;
    const saved = { sandbox: process.env.DISPATCH_SANDBOX };

    beforeAll(async () => {
      process.env[CANARY] = 'the-gateway-secret';
      process.env.DISPATCH_SANDBOX = mode;
      // Inside the checkout, as the default data folder once was: Node would find the checkout's node_modules.
      dataDir = await mkdtemp(join(REPO_ROOT, '.isolation-test-'));
      gateway = await startTestGateway({ dataDir, token: TOKEN });
      adminUrl = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
      await createFunction(gateway, { name: 'probe', image: 'nodejs', sourcePath: await writeFunction(gateway, 'probe.js', PROBE) });
      await createFunction(gateway, {
        name: 'probe-esm',
        image: 'nodejs',
        sourcePath: await writeFunction(gateway, 'probe.mjs', PROBE_ESM),
      });
    }, 120_000);

    afterAll(async () => {
      delete process.env[CANARY];
      if (saved.sandbox === undefined) delete process.env.DISPATCH_SANDBOX;
      else process.env.DISPATCH_SANDBOX = saved.sandbox;
      await gateway?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    async function probe(): Promise<Probe> {
      const input = { adminUrl, storeFile: join(dataDir, SQLITE_STORE_FILE), dataDir };
      const response = await gateway.request({ method: 'POST', url: '/v1/runs?functionName=probe', payload: { input } });
      expect(response.statusCode).toBe(200);
      return response.json<Run>().output as Probe;
    }

    it("sees none of the gateway's variables, cannot load the checkout's packages, and the admin API refuses it", async () => {
      const seen = await probe();
      expect(seen.env[CANARY]).toBeUndefined();
      expect(
        Object.keys(seen.env).filter(
          (key) =>
            key.startsWith('DISPATCH_') &&
            !/^DISPATCH_(FUNCTION_DIR|HANDLER|MODE|FUNKER_PORT|SOCKET|HOST|STATUS_FD|TIMEOUT_MS|EXIT_WITH_PARENT|MAX_OUTPUT_BYTES|MAX_LOG_BYTES|TEE_LOGS)$/.test(
              key,
            ),
        ),
      ).toEqual([]);
      expect(seen.fastify).toBe('MODULE_NOT_FOUND');
      const esm = await gateway.request({ method: 'POST', url: '/v1/runs?functionName=probe-esm', payload: { input: {} } });
      expect(esm.json<Run>().output).toBe('ERR_MODULE_NOT_FOUND');
      expect(seen.admin).toBe(401);
    });

    if (mode === 'required') {
      it('cannot see the data folder (store, other functions) and runs as nobody when the gateway is root', async () => {
        const seen = await probe();
        expect(seen.store).toBe('ENOENT');
        // Hidden either way: an empty folder over it, or nothing at all where it lies under a hidden folder (/tmp).
        expect([[], 'ENOENT']).toContainEqual(seen.dataDir);
        expect(seen.env.HOME).toBe('/function');
        expect(seen.root).toContain('function');
        if (process.getuid?.() === 0) expect(seen.uid).toBe(65534);
      });
    }
  });
}
