import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatch, openSqliteStore } from '@dispatch/core';
import { createLocalDriver } from '@dispatch/driver-local';
import { buildApp } from '@dispatch/gateway';

export interface TestGateway {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A real gateway (SQLite store, local driver) in a temp data dir, listening on a free loopback port. */
export async function startTestGateway(options: { seedDefaults?: boolean; token?: string } = {}): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-cli-test-'));
  const dispatch = await createDispatch({
    driver: createLocalDriver({ dataDir }),
    store: openSqliteStore(dataDir),
    seedDefaults: options.seedDefaults ?? true,
  });
  const app = await buildApp({ dispatch, token: options.token, listenHost: '127.0.0.1' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await dispatch.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
