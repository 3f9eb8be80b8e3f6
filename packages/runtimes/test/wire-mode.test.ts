import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_LANGUAGES } from '../src/index.js';
import { funkerCall } from './support/funker-call.js';
import { startServer, type RunningServer } from './support/start-server.js';
import { WireTestClient } from './support/wire-client.js';

const BEHAVIOURS = { nodejs: 'behaviours.js', python3: 'behaviours.handle' };

describe.each(RUNTIME_LANGUAGES)('%s function server speaking the wire protocol', (language) => {
  let tcp: RunningServer;
  let unix: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-wire-'));
  const socketPath = join(dir, 'server.sock');

  beforeAll(async () => {
    [tcp, unix] = await Promise.all([
      startServer({ language, handler: BEHAVIOURS[language], env: { DISPATCH_TIMEOUT_MS: '5000' } }),
      startServer({ language, handler: BEHAVIOURS[language], env: { DISPATCH_SOCKET: socketPath } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([tcp?.stop(), unix?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers many calls in flight on one connection, each with its own payload and logs, in any order', async () => {
    const client = await WireTestClient.open({ port: tcp.port });
    const ids = Array.from({ length: 40 }, (_, i) => `call-${i}`);
    // The first calls sleep longest, so their replies come back after later ones.
    const replies = await Promise.all(ids.map((id, i) => client.call({ payload: { action: 'log-id', id, ms: 60 - i } })));
    replies.forEach((reply, i) => {
      expect(reply.payload).toBe(ids[i]);
      expect(reply.context.logs).toEqual({ stdout: [`start ${ids[i]}`, `end ${ids[i]}`], stderr: [`middle ${ids[i]}`] });
    });
    client.close();
  });

  it('does not hold the other calls of a connection behind a slow one', async () => {
    const client = await WireTestClient.open({ port: tcp.port });
    const slow = client.call({ payload: { action: 'sleep', ms: 1500 } });
    const started = Date.now();
    const fast = await client.call({ payload: { action: 'echo', value: 'quick' } });
    expect(fast.payload).toBe('quick');
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await slow).payload).toBe('awake');
    client.close();
  });

  it('answers errors as envelopes on the connection and keeps serving it', async () => {
    const client = await WireTestClient.open({ port: tcp.port });
    const failed = await client.call({ payload: { action: 'throw-type' } });
    expect(failed.context.error?.type).toBe('InputError');
    const notJson = WireTestClient.frame(77, 1, '{not json');
    client.write(notJson);
    expect(JSON.parse(await client.replyTo(77)).context.error.type).toBe('InputError');
    expect((await client.call({ payload: { action: 'echo', value: 1 } })).payload).toBe(1);
    client.close();
  });

  it('reads frames split across writes and several frames in one write', async () => {
    const client = await WireTestClient.open({ port: tcp.port });
    const a = WireTestClient.frame(101, 1, JSON.stringify({ payload: { action: 'echo', value: 'a' } }));
    const b = WireTestClient.frame(102, 1, JSON.stringify({ payload: { action: 'echo', value: 'b' } }));
    const both = Buffer.concat([a, b]);
    const replies = [client.replyTo(101), client.replyTo(102)];
    client.write(both.subarray(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.write(both.subarray(5));
    expect((await Promise.all(replies)).map((body) => JSON.parse(body).payload)).toEqual(['a', 'b']);
    client.close();
  });

  it('answers a ping with a pong', async () => {
    const client = await WireTestClient.open({ port: tcp.port });
    await client.ping();
    expect(client.kinds).toEqual([4]);
    client.close();
  });

  it('still answers a plain funker call on the same port', async () => {
    const reply = await funkerCall(tcp.port, { payload: { action: 'echo', value: 'classic' } });
    expect(reply.payload).toBe('classic');
  });

  it('serves both protocols on a Unix socket when DISPATCH_SOCKET is set', async () => {
    expect(unix.port).toBe(0);
    const client = await WireTestClient.open({ path: socketPath });
    const replies = await Promise.all([1, 2, 3].map((value) => client.call({ payload: { action: 'echo', value } })));
    expect(replies.map((reply) => reply.payload)).toEqual([1, 2, 3]);
    client.close();
  });
});
