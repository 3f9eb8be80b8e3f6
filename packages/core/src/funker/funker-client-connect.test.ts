import { Duplex } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { DeadlineExceededError } from '../errors.js';
import { funkerCall } from './funker-client.js';
import { FunkerConnectError } from './funker-errors.js';
import type * as Net from 'node:net';

// A connection that never completes, which real networks only produce on a black-holed route.
const pending: Duplex[] = [];
vi.mock('node:net', async (importOriginal) => ({
  ...(await importOriginal<typeof Net>()),
  createConnection: vi.fn(() => {
    const socket = new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() });
    pending.push(socket);
    return socket;
  }),
}));

describe('funkerCall connect timeout', () => {
  it('fails with a retryable ETIMEDOUT connect error after connectTimeoutMs', async () => {
    const started = Date.now();
    const error = await funkerCall({}, { host: 'hello', port: 9999, deadline: Date.now() + 10_000, connectTimeoutMs: 150 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FunkerConnectError);
    expect(error).toMatchObject({ code: 503, errno: 'ETIMEDOUT', retryable: true });
    expect((error as Error).message).toBe('funker: could not connect to hello:9999 (ETIMEDOUT)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(pending.at(-1)?.destroyed).toBe(true);
  });

  it('reports the deadline when it comes before the connect timeout', async () => {
    const error = await funkerCall({}, { host: 'hello', port: 9999, deadline: Date.now() + 100, connectTimeoutMs: 5000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(pending.at(-1)?.destroyed).toBe(true);
  });
});
