import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatch, openSqliteStore } from '@dispatch/core';
import { createLocalDriver } from '@dispatch/driver-local';
import { buildApp, writeRuntimeFile } from '@dispatch/gateway';

export interface TestGateway {
  port: number;
  url: string;
  /** The admin token it requires. */
  token: string;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  seedDefaults?: boolean;
  /** The admin token (random by default). */
  token?: string;
  /**
   * The home folder of the user who "started" it: its runtime file goes to `<home>/.dispatch/run`, as
   * `dispatch gateway start` leaves it, so the CLI run with that HOME finds the token by itself.
   */
  home?: string;
}

/** A real gateway (SQLite store, local driver) in a temp data dir, listening on a free loopback port. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-cli-test-'));
  const token = options.token ?? randomBytes(16).toString('hex');
  const dispatch = await createDispatch({
    driver: createLocalDriver({ dataDir }),
    store: openSqliteStore(dataDir),
    seedDefaults: options.seedDefaults ?? true,
  });
  const app = await buildApp({ dispatch, token, listenHost: '127.0.0.1' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const removeRuntimeFile = options.home
    ? await writeRuntimeFile(join(options.home, '.dispatch', 'run'), { url, host: '127.0.0.1', port, pid: process.pid, token, dataDir })
    : undefined;
  return {
    port,
    url,
    token,
    async close() {
      await removeRuntimeFile?.();
      await app.close();
      await dispatch.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
