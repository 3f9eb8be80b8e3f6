import { connect } from 'node:net';
import type { Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { funkerCall, funkerCallRaw } from './funker-client.js';
import { FunkerEmptyReplyError } from './funker-errors.js';
import { createFunkerServer, listenFunker } from './funker-server.js';
import type { FunkerServerOptions } from './funker-server.js';

const HOST = '127.0.0.1';
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function start(handler: (request: unknown) => unknown, options?: FunkerServerOptions): Promise<number> {
  const server = createFunkerServer(handler, options);
  servers.push(server);
  return listenFunker(server, 0, HOST);
}

const deadline = (): number => Date.now() + 5000;

describe('createFunkerServer', () => {
  it('answers with the handler result, awaiting a promise', async () => {
    const port = await start(async (request) => ({ got: request }));
    await expect(funkerCall([1, 'two'], { host: HOST, port, deadline: deadline() })).resolves.toEqual({ got: [1, 'two'] });
  });

  it('does not call the handler for a malformed request and closes without a reply', async () => {
    const handler = vi.fn(() => 'called');
    const port = await start(handler);
    const reply = await funkerCallRaw('{not json', { host: HOST, port, deadline: deadline() });
    expect(reply).toHaveLength(0);
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers a malformed request with what onBadRequest returns', async () => {
    const handler = vi.fn(() => 'called');
    const port = await start(handler, { onBadRequest: (error) => ({ error: `bad request: ${error.message}` }) });
    const reply = await funkerCall(undefined, { host: HOST, port, deadline: deadline() }).catch(() => 'unexpected');
    expect(reply).toBe('called'); // `undefined` is sent as the valid request null
    const raw = await funkerCallRaw('{oops', { host: HOST, port, deadline: deadline() });
    expect(JSON.parse(raw.toString('utf8'))).toMatchObject({ error: expect.stringContaining('bad request') });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('closes without a reply when the handler throws, and reports the error', async () => {
    const onError = vi.fn();
    const port = await start(() => Promise.reject(new Error('boom')), { onError });
    await expect(funkerCall({}, { host: HOST, port, deadline: deadline() })).rejects.toBeInstanceOf(FunkerEmptyReplyError);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'boom' }));
  });

  it('closes without a reply when the result cannot be JSON', async () => {
    const port = await start(() => ({ big: 1n }));
    await expect(funkerCall({}, { host: HOST, port, deadline: deadline() })).rejects.toBeInstanceOf(FunkerEmptyReplyError);
  });

  it('drops a caller that never half-closes after the idle timeout, without calling the handler', async () => {
    const handler = vi.fn(() => 'called');
    const port = await start(handler, { idleTimeoutMs: 150 });
    const socket = connect(port, HOST);
    socket.on('error', () => undefined);
    socket.write('{"waiting": true}');
    const started = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(handler).not.toHaveBeenCalled();
  });

  it('lets a handler run longer than the idle timeout', async () => {
    const port = await start(() => new Promise((resolve) => setTimeout(() => resolve('slow but fine'), 300)), { idleTimeoutMs: 100 });
    await expect(funkerCall({}, { host: HOST, port, deadline: deadline() })).resolves.toBe('slow but fine');
  });

  it('drops a request larger than maxRequestBytes', async () => {
    const handler = vi.fn(() => 'called');
    const port = await start(handler, { maxRequestBytes: 100 });
    const outcome = await funkerCallRaw('x'.repeat(10_000), { host: HOST, port, deadline: deadline() }).then(
      (reply) => reply.length,
      () => 'failed',
    );
    expect([0, 'failed']).toContain(outcome);
    expect(handler).not.toHaveBeenCalled();
  });

  it('resolves listenFunker with the bound port and rejects when the port is taken', async () => {
    const port = await start(() => null);
    expect(port).toBeGreaterThan(0);
    const other = createFunkerServer(() => null);
    await expect(listenFunker(other, port, HOST)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
