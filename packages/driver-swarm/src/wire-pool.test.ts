import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameReader, UnavailableError, WireKind, encodeFrame } from '@dispatch/core/driver';
import { TaskCallError, callService } from './call-service.js';
import type { CallServiceOptions } from './call-service.js';
import { TaskAddresses } from './task-addresses.js';
import { TaskLoad } from './task-load.js';
import { WirePool } from './wire-pool.js';

// "Tasks" on loopback addresses of their own, each a function server stand-in: `wire` speaks the wire protocol
// (after its 4-byte preface) and funker; `funker-only` is a server older than the wire protocol, which waits for
// a funker request to end. The resolver plays Swarm's DNS.
const A = '127.0.0.4';
const B = '127.0.0.5';

const servers: Server[] = [];
const sockets: Socket[] = [];
const pools: WirePool[] = [];

afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close();
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

interface Task {
  connections: number;
  calls: number;
  /** Closes every connection at the next call, without answering it (a task that dies mid-call). */
  dieOnCall: boolean;
  /** How long a wire call takes to answer. */
  replyAfterMs: number;
  inflight: number;
  /** The most calls it had in flight at once. */
  maxInflight: number;
}

function task(host: string, port: number, kind: 'wire' | 'funker-only'): Promise<Task> {
  const state: Task = { connections: 0, calls: 0, dieOnCall: false, replyAfterMs: 0, inflight: 0, maxInflight: 0 };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    state.connections++;
    let mode: 'unknown' | 'wire' | 'funker' = 'unknown';
    const funker: Buffer[] = [];
    const reader = new FrameReader(
      {
        frame(id, frameKind, body) {
          if (frameKind === WireKind.ping) return void socket.write(encodeFrame(0, WireKind.pong));
          state.calls++;
          if (state.dieOnCall) return void socket.destroy();
          const request = JSON.parse(body.toString('utf8')) as { payload: unknown };
          state.inflight++;
          state.maxInflight = Math.max(state.maxInflight, state.inflight);
          setTimeout(() => {
            state.inflight--;
            if (!socket.destroyed) {
              socket.write(
                encodeFrame(id, WireKind.reply, JSON.stringify({ context: {}, payload: { served: host, echo: request.payload } })),
              );
            }
          }, state.replyAfterMs);
        },
        tooLarge: () => socket.destroy(),
      },
      1 << 20,
    );
    socket.on('data', (chunk: Buffer) => {
      if (mode === 'unknown') mode = kind === 'wire' && chunk[0] === 0 ? 'wire' : 'funker';
      if (mode === 'wire') reader.push(chunk.subarray(chunk[0] === 0 && chunk[1] === 0x44 ? 4 : 0));
      else funker.push(chunk);
    });
    socket.on('end', () => {
      if (mode !== 'funker') return;
      let request: { payload: unknown };
      try {
        request = JSON.parse(Buffer.concat(funker).toString('utf8')) as { payload: unknown };
      } catch {
        // The probe of a newer caller (its preface and a ping), closed unanswered: not a call.
        return void socket.end();
      }
      state.calls++;
      socket.end(JSON.stringify({ context: {}, payload: { served: host, echo: request.payload, funker: true } }));
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(port, host, () => resolve(state)));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let index = 0;

function options(port: number, addresses: string[] | TaskAddresses, wire: WirePool, payload: unknown): CallServiceOptions {
  return {
    service: 'svc',
    body: { context: {}, payload },
    port,
    deadline: Date.now() + 10_000,
    addresses: addresses instanceof TaskAddresses ? addresses : new TaskAddresses(async () => addresses),
    retryWindowMs: 2000,
    keepAliveMs: 30_000,
    nextIndex: () => index++,
    retryEmptyReply: true,
    wire,
  };
}

function newPool(port: number): WirePool {
  const pool = new WirePool({ port, keepAliveMs: 30_000 });
  pools.push(pool);
  return pool;
}

describe('calls to the tasks of Dispatch runtimes', () => {
  it('carries many calls on one connection per task, each answered with its own reply', async () => {
    const port = await freePort();
    const tasks = await Promise.all([task(A, port, 'wire'), task(B, port, 'wire')]);
    const pool = newPool(port);
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        callService(options(port, [A, B], pool, n)).then((answer) => answer.reply as { payload: { echo: number } }),
      ),
    );
    expect(replies.map((reply) => reply.payload.echo)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(tasks.map((state) => state.connections)).toEqual([1, 1]);
    expect(tasks[0]!.calls + tasks[1]!.calls).toBe(200);
  });

  it('calls a task whose function server predates the wire protocol over funker', async () => {
    const port = await freePort();
    const old = await task(A, port, 'funker-only');
    const pool = newPool(port);
    const first = await callService(options(port, [A], pool, 'one'));
    const second = await callService(options(port, [A], pool, 'two'));
    expect([first.reply, second.reply]).toEqual([
      { context: {}, payload: { served: A, echo: 'one', funker: true } },
      { context: {}, payload: { served: A, echo: 'two', funker: true } },
    ]);
    // The probe's connection, then one per funker call; the probe is not repeated for the second call.
    expect(old.connections).toBe(3);
  });

  it('retries a call once on another task when its task dies with the call in flight', async () => {
    const port = await freePort();
    const [dying] = await Promise.all([task(A, port, 'wire'), task(B, port, 'wire')]);
    const pool = newPool(port);
    dying!.dieOnCall = true;
    const answers = await Promise.all([0, 1, 2, 3].map((n) => callService(options(port, [A, B], pool, n))));
    expect(answers.map((answer) => (answer.reply as { payload: { served: string } }).payload.served)).toEqual([B, B, B, B]);
  });

  it('tries another task when a task refuses the connection, without sending the call twice', async () => {
    const port = await freePort();
    const alive = await task(B, port, 'wire');
    const pool = newPool(port);
    const answer = await callService(options(port, [A, B], pool, 'x'));
    expect(answer.host).toBe(B);
    expect(alive.calls).toBe(1);
  });

  it('does not retry a call when the other tasks are gone too: the caller learns the task died', async () => {
    const port = await freePort();
    const dying = await task(A, port, 'wire');
    dying.dieOnCall = true;
    const pool = newPool(port);
    await expect(callService(options(port, [A], pool, 'x'))).rejects.toBeInstanceOf(TaskCallError);
    expect(dying.calls).toBe(1);
  });
});

describe("the addresses of a function's tasks", () => {
  it('are resolved once for many calls, then again in the background while calls go on', async () => {
    const port = await freePort();
    await Promise.all([task(A, port, 'wire'), task(B, port, 'wire')]);
    const pool = newPool(port);
    let lookups = 0;
    let slowLookup = false;
    const addresses = new TaskAddresses(async () => {
      lookups++;
      if (slowLookup) await new Promise((resolve) => setTimeout(resolve, 500));
      return [A, B];
    });
    await Promise.all(Array.from({ length: 100 }, (_, n) => callService(options(port, addresses, pool, n))));
    expect(lookups).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    slowLookup = true;
    const started = Date.now();
    await callService(options(port, addresses, pool, 'stale'));
    // The set, a second old, served the call at once; its new resolution runs beside it.
    expect(Date.now() - started).toBeLessThan(250);
    expect(lookups).toBe(2);
  });

  it('are resolved again at once when a task refuses, so later calls skip it', async () => {
    const port = await freePort();
    await task(B, port, 'wire');
    const pool = newPool(port);
    let listed = [A, B];
    const addresses = new TaskAddresses(async () => listed);
    await callService(options(port, addresses, pool, 'first'));
    listed = [B];
    // Round robin starts at A, which refuses: the call goes to B and the set is resolved again.
    index = 0;
    expect((await callService(options(port, addresses, pool, 'second'))).host).toBe(B);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(addresses.get('svc')).toEqual([B]);
  });
});

describe('the bound of calls in flight per task', () => {
  it('holds the calls over the bound in the gateway and sends them as calls end, each with its own reply', async () => {
    const port = await freePort();
    const busy = await task(A, port, 'wire');
    busy.replyAfterMs = 50;
    const pool = newPool(port);
    const load = new TaskLoad({ maxCallsPerTask: 4, maxWaitingCalls: 100 });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        callService({ ...options(port, [A], pool, n), load }).then(
          (answer) => (answer.reply as { payload: { echo: number } }).payload.echo,
        ),
      ),
    );
    expect(replies).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(busy.maxInflight).toBe(4);
  });

  it('refuses a call with 503 when too many wait already', async () => {
    const port = await freePort();
    const busy = await task(A, port, 'wire');
    busy.replyAfterMs = 300;
    const pool = newPool(port);
    const load = new TaskLoad({ maxCallsPerTask: 1, maxWaitingCalls: 1 });
    const calls = [0, 1, 2].map((n) =>
      callService({ ...options(port, [A], pool, n), load }).then(
        () => 'answered',
        (error: unknown) => error,
      ),
    );
    const [first, second, third] = await Promise.all(calls);
    expect([first, second]).toEqual(['answered', 'answered']);
    expect(third).toBeInstanceOf(UnavailableError);
    expect((third as UnavailableError).code).toBe(503);
    expect((third as Error).message).toMatch(/1 calls waiting already/);
  });
});
