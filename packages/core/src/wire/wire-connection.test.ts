import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../errors.js';
import { WireConnection } from './wire-connection.js';
import { WireConnectError, WireConnectionLostError, WireReplyTooLargeError } from './wire-errors.js';
import { FrameReader, WIRE_PREFACE, WireKind, encodeFrame } from './wire-frame.js';

/**
 * A function server stand-in speaking the frame format: the request `{"echo", "delayMs", "size", "close"}` is
 * answered with `echo` after `delayMs`, or with `size` bytes, or by closing the connection.
 */
function startServer(path: string): Promise<{ server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let prefaced = false;
    const reader = new FrameReader(
      {
        frame(id, kind, body) {
          if (kind === WireKind.ping) return void socket.write(encodeFrame(0, WireKind.pong));
          const request = JSON.parse(body.toString('utf8')) as { echo?: unknown; delayMs?: number; size?: number; close?: boolean };
          if (request.close) return void socket.destroy();
          const reply = request.size !== undefined ? JSON.stringify('x'.repeat(request.size)) : JSON.stringify(request.echo);
          setTimeout(() => socket.write(encodeFrame(id, WireKind.reply, reply)), request.delayMs ?? 0);
        },
        tooLarge: () => socket.destroy(),
      },
      1024 * 1024,
    );
    socket.on('data', (chunk: Buffer) => {
      if (!prefaced) {
        expect(chunk.subarray(0, 4).equals(WIRE_PREFACE)).toBe(true);
        prefaced = true;
        chunk = chunk.subarray(4);
      }
      reader.push(chunk);
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, sockets })));
}

describe('WireConnection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-wire-test-'));
  const path = join(dir, 's.sock');
  let server: Server;
  const soon = (): number => Date.now() + 5000;

  beforeAll(async () => {
    ({ server } = await startServer(path));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('matches each reply to its own call when replies come back out of order', async () => {
    const connection = await WireConnection.connect({ path });
    const calls = Array.from({ length: 50 }, (_, i) =>
      connection.call(JSON.stringify({ echo: i, delayMs: 50 - i }), { deadline: soon() }).then((reply) => JSON.parse(reply.toString())),
    );
    expect(connection.inflight).toBe(50);
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(connection.inflight).toBe(0);
    connection.close();
  });

  it('fails a call past its deadline and keeps the connection for the next ones', async () => {
    const connection = await WireConnection.connect({ path });
    const late = connection.call(JSON.stringify({ echo: 'late', delayMs: 300 }), { deadline: Date.now() + 50 });
    await expect(late).rejects.toBeInstanceOf(DeadlineExceededError);
    const next = await connection.call(JSON.stringify({ echo: 'next', delayMs: 400 }), { deadline: soon() });
    // The late reply arrived in between and was dropped, not given to this call.
    expect(JSON.parse(next.toString())).toBe('next');
    connection.close();
  });

  it('fails an aborted call at once', async () => {
    const connection = await WireConnection.connect({ path });
    const controller = new AbortController();
    const call = connection.call(JSON.stringify({ echo: 1, delayMs: 1000 }), { deadline: soon(), signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(DeadlineExceededError);
    connection.close();
  });

  it('skips a reply past maxReplyBytes, failing only its own call', async () => {
    const connection = await WireConnection.connect({ path }, { maxReplyBytes: 1000 });
    const big = connection.call(JSON.stringify({ size: 200_000 }), { deadline: soon() });
    const small = connection.call(JSON.stringify({ echo: 'small', delayMs: 20 }), { deadline: soon() });
    await expect(big).rejects.toBeInstanceOf(WireReplyTooLargeError);
    expect(JSON.parse((await small).toString())).toBe('small');
    connection.close();
  });

  it('fails the calls in flight as lost when the connection closes, and later calls as never sent', async () => {
    const connection = await WireConnection.connect({ path });
    let closed = false;
    connection.onClosed(() => (closed = true));
    const inflight = connection.call(JSON.stringify({ echo: 1, delayMs: 500 }), { deadline: soon() });
    const closer = connection.call(JSON.stringify({ close: true }), { deadline: soon() });
    await expect(inflight).rejects.toBeInstanceOf(WireConnectionLostError);
    await expect(closer).rejects.toMatchObject({ retryable: false });
    expect(closed).toBe(true);
    expect(connection.open).toBe(false);
    const after = connection.call(JSON.stringify({ echo: 2 }), { deadline: soon() });
    await expect(after).rejects.toBeInstanceOf(WireConnectError);
    await expect(after).rejects.toMatchObject({ retryable: true, errno: 'ECLOSED' });
  });

  it('answers a ping with its round trip', async () => {
    const connection = await WireConnection.connect({ path });
    expect(await connection.ping(1000)).toBeGreaterThanOrEqual(0);
    connection.close();
  });

  it('fails to connect to a socket nobody listens on with a retryable WireConnectError', async () => {
    const connecting = WireConnection.connect({ path: join(dir, 'missing.sock') });
    await expect(connecting).rejects.toBeInstanceOf(WireConnectError);
    await expect(connecting).rejects.toMatchObject({ errno: 'ENOENT', retryable: true });
  });
});
