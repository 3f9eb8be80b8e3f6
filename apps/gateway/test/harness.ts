import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDispatch, openSqliteStore, packSource } from '@dispatch/core';
import type { Dispatch, QueueSettings, Store } from '@dispatch/core';
import { createLocalDriver } from '@dispatch/driver-local';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import type { GatewayOptions } from '../src/app.js';

export const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');

export interface TestGateway {
  app: FastifyInstance;
  dispatch: Dispatch;
  dataDir: string;
  /** The admin token the gateway requires. */
  token: string;
  /** `app.inject` with the admin token. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Closes the app and Dispatch; removes the data dir unless `keepData`. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface TestGatewayOptions extends Omit<GatewayOptions, 'dispatch' | 'token'> {
  /** The admin token (a random one by default; `request` sends it). */
  token?: string;
  /** Reuse a data dir (to test a restart); a new temp dir otherwise. */
  dataDir?: string;
  /** Keep the store in memory instead of in the data dir. */
  memoryStore?: boolean;
  /** Another store (PostgreSQL) instead of SQLite; closed with the gateway. */
  store?: Store;
  /** The async run queue's settings (shorter back-offs in tests). */
  queue?: Partial<QueueSettings>;
}

/** A gateway over the real Dispatch service, the SQLite store and the local driver, in a temp data dir. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const { dataDir: givenDir, memoryStore, store: givenStore, queue, token = randomBytes(16).toString('hex'), ...gatewayOptions } = options;
  const dataDir = givenDir ?? (await mkdtemp(join(tmpdir(), 'dispatch-gateway-test-')));
  const store = givenStore ?? openSqliteStore(memoryStore ? ':memory:' : dataDir);
  const driver = createLocalDriver({ dataDir });
  const dispatch = await createDispatch({ driver, store, queue });
  const app = await buildApp({ dispatch, token, ...gatewayOptions });
  const authorization = { authorization: `Bearer ${token}` };
  return {
    app,
    dispatch,
    dataDir,
    token,
    request: (injectOptions) => app.inject({ ...injectOptions, headers: { ...authorization, ...injectOptions.headers } }),
    async close({ keepData = false } = {}) {
      await app.close();
      await dispatch.close();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The base64 tar.gz of a file or folder, as Dispatch's CLI sends a function's source. */
export async function sourceOf(path: string): Promise<string> {
  return (await packSource(path)).toString('base64');
}

/** Writes a one-file function beside the gateway's data (removed with it) and answers its path. */
export async function writeFunction(gateway: TestGateway, fileName: string, code: string): Promise<string> {
  const dir = join(gateway.dataDir, 'test-sources');
  await mkdir(dir, { recursive: true });
  const path = join(dir, fileName);
  await writeFile(path, code);
  return path;
}

/** Creates a function through the API and waits until it is READY. */
export async function createFunction(
  gateway: TestGateway,
  body: { name: string; image: string; sourcePath: string; [field: string]: unknown },
): Promise<void> {
  const { sourcePath, ...fields } = body;
  const response = await gateway.request({
    method: 'POST',
    url: '/v1/function',
    payload: { ...fields, source: await sourceOf(sourcePath) },
  });
  if (response.statusCode !== 201) {
    throw new Error(`creating function ${body.name}: ${response.statusCode} ${response.body}`);
  }
  await gateway.dispatch.functions.waitUntilReady(body.name, { timeoutMs: 120_000 });
}

export const HELLO_PY = join(EXAMPLES, 'python3/hello.py');
export const HELLO_JS = join(EXAMPLES, 'nodejs/hello.js');
export const STDOUT_LINE = 'messages to stdout show up in logs';
