import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError, DeadlineExceededError, DispatchError } from '../errors.js';
import { funkerCall, funkerCallRaw } from './funker-client.js';
import {
  FunkerBadReplyError,
  FunkerConnectError,
  FunkerEmptyReplyError,
  FunkerIncompleteReplyError,
  isRetryableFunkerError,
} from './funker-errors.js';
import { createFunkerServer, listenFunker } from './funker-server.js';

const HOST = '127.0.0.1';
const servers: Server[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A raw TCP server that reads the request to FIN and then runs `onRequest`, for replies funker servers should not send. */
async function rawServer(onRequest: (socket: Socket, body: Buffer) => void, waitForFin = true): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    if (waitForFin) socket.on('end', () => onRequest(socket, Buffer.concat(chunks)));
    else onRequest(socket, Buffer.alloc(0));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

async function funkerServer(handler: (request: unknown) => unknown): Promise<number> {
  const server = createFunkerServer(handler);
  servers.push(server);
  return listenFunker(server, 0, HOST);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const inSeconds = (s: number): number => Date.now() + s * 1000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('funkerCall', () => {
  it('round-trips a JSON request and reply', async () => {
    const port = await funkerServer((request) => ({ echo: request, greeting: 'héllo 👋' }));
    const reply = await funkerCall({ name: 'user', n: [1, 2] }, { host: HOST, port, deadline: inSeconds(5) });
    expect(reply).toEqual({ echo: { name: 'user', n: [1, 2] }, greeting: 'héllo 👋' });
  });

  it('decodes the reply null as null', async () => {
    const port = await funkerServer(() => undefined);
    await expect(funkerCall({}, { host: HOST, port, deadline: inSeconds(5) })).resolves.toBeNull();
  });

  it('reports an empty reply as a failed handler, not as null', async () => {
    const port = await funkerServer(() => {
      throw new Error('boom');
    });
    const call = funkerCall({}, { host: HOST, port, deadline: inSeconds(5) });
    await expect(call).rejects.toBeInstanceOf(FunkerEmptyReplyError);
    await expect(call).rejects.toMatchObject({ code: 502 });
    expect(await funkerCallRaw('{}', { host: HOST, port, deadline: inSeconds(5) })).toHaveLength(0);
  });

  it('decodes a multi-byte character split across many chunks', async () => {
    const port = await rawServer(async (socket) => {
      const bytes = Buffer.from(JSON.stringify({ text: 'a😀b' }), 'utf8');
      for (const byte of bytes) {
        socket.write(Buffer.of(byte));
        await sleep(2);
      }
      socket.end();
    });
    await expect(funkerCall({}, { host: HOST, port, deadline: inSeconds(5) })).resolves.toEqual({ text: 'a😀b' });
  });

  it('rejects a reply that is not JSON and quotes its start', async () => {
    const port = await rawServer((socket) => socket.end(`Traceback (most recent call last): ${'x'.repeat(500)}`));
    const call = funkerCall({}, { host: HOST, port, deadline: inSeconds(5) });
    await expect(call).rejects.toBeInstanceOf(FunkerBadReplyError);
    const error = (await call.catch((e: unknown) => e)) as FunkerBadReplyError;
    expect(error.code).toBe(502);
    expect(error.message).toContain('Traceback (most recent call last)');
    expect(error.message.length).toBeLessThan(400);
  });

  it('fails with a retryable connect error when nothing listens', async () => {
    const port = await closedPort();
    const error = await funkerCall({}, { host: HOST, port, deadline: inSeconds(5) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunkerConnectError);
    expect(error).toMatchObject({ code: 503, retryable: true, errno: 'ECONNREFUSED' });
    expect((error as Error).message).toBe(`funker: could not connect to ${HOST}:${port} (ECONNREFUSED)`);
    expect(isRetryableFunkerError(error)).toBe(true);
    expect(DispatchError.isInstance(error)).toBe(true);
  });

  it('fails with a retryable connect error when the server resets before replying', async () => {
    const port = await rawServer((socket) => socket.resetAndDestroy());
    const error = await funkerCall({}, { host: HOST, port, deadline: inSeconds(5) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunkerConnectError);
    expect(error).toMatchObject({ retryable: true, errno: 'ECONNRESET' });
  });

  it('reports a reset after part of the reply as an incomplete reply, not retryable', async () => {
    const port = await rawServer(async (socket) => {
      socket.write('{"partial": ');
      await sleep(20);
      socket.resetAndDestroy();
    });
    const error = await funkerCall({}, { host: HOST, port, deadline: inSeconds(5) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunkerIncompleteReplyError);
    expect(error).toBeInstanceOf(BackendError);
    expect(isRetryableFunkerError(error)).toBe(false);
  });

  it('gives up at the deadline when the server never answers', async () => {
    const port = await rawServer(() => undefined);
    const started = Date.now();
    const error = await funkerCall({}, { host: HOST, port, deadline: Date.now() + 300 }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({ code: 504 });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
  });

  it('fails at once when the deadline has already passed', async () => {
    await expect(funkerCall({}, { host: HOST, port: 1, deadline: Date.now() - 1 })).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('stops when the signal aborts', async () => {
    const port = await rawServer(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    const error = await funkerCall({}, { host: HOST, port, deadline: inSeconds(10), signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toContain('aborted');
  });

  it('rejects a reply larger than maxReplyBytes', async () => {
    const port = await funkerServer(() => 'x'.repeat(10_000));
    await expect(funkerCall({}, { host: HOST, port, deadline: inSeconds(5), maxReplyBytes: 1000 })).rejects.toBeInstanceOf(BackendError);
  });

  it('round-trips a 5 MB payload', async () => {
    const port = await funkerServer((request) => request);
    const big = { data: 'é✓'.repeat(1024 * 1024) };
    const reply = await funkerCall(big, { host: HOST, port, deadline: inSeconds(20) });
    expect(reply).toEqual(big);
  });

  it('serves many concurrent calls', async () => {
    const port = await funkerServer(async (request) => {
      await sleep(5);
      return request;
    });
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => funkerCall({ i }, { host: HOST, port, deadline: inSeconds(10) })),
    );
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => ({ i })));
  });
});
