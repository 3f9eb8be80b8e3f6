import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskCallError, callService } from './call-service.js';
import type { CallServiceOptions } from './call-service.js';
import { TaskAddresses } from './task-addresses.js';
import { TaskGoneError, createTaskLiveness } from './task-liveness.js';

// Two "tasks" on loopback addresses of their own: one that takes a call and never answers (as a task whose
// container was removed mid-call: no reset ever comes), one that answers. The resolver plays Swarm's DNS.
const GONE = '127.0.0.2';
const ALIVE = '127.0.0.3';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen(host: string, port: number, answer: boolean): Promise<void> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('data', () => undefined);
    socket.on('end', () => {
      if (answer) socket.end(JSON.stringify({ served: host }));
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(port, host, resolve));
}

async function twoTasks(): Promise<{ port: number; options: (retry: boolean) => CallServiceOptions; remove: () => void }> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  await listen(GONE, port, false);
  await listen(ALIVE, port, true);
  let addresses = [GONE, ALIVE];
  const taskAddresses = new TaskAddresses(async () => addresses);
  return {
    port,
    remove: () => (addresses = [ALIVE]),
    options: (retry) => ({
      service: 'svc',
      body: { hello: 'world' },
      port,
      deadline: Date.now() + 20_000,
      addresses: taskAddresses,
      retryWindowMs: 5000,
      keepAliveMs: 30_000,
      // The first call goes to the task that will be removed.
      nextIndex: () => 0,
      retryEmptyReply: retry,
      liveness: createTaskLiveness(taskAddresses),
    }),
  };
}

describe('callService with a task removed during the call', () => {
  it('ends the call in about a second instead of at its deadline, and retries it once on another task', async () => {
    const tasks = await twoTasks();
    const started = Date.now();
    const pending = callService(tasks.options(true));
    setTimeout(tasks.remove, 200);
    const answer = await pending;
    expect(answer.reply).toEqual({ served: ALIVE });
    expect(answer.host).toBe(ALIVE);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not repeat the call of a plain funker function, and names the gone task', async () => {
    const tasks = await twoTasks();
    const pending = callService(tasks.options(false));
    setTimeout(tasks.remove, 200);
    const failure = await pending.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TaskCallError);
    expect((failure as TaskCallError).host).toBe(GONE);
    expect((failure as TaskCallError).cause).toBeInstanceOf(TaskGoneError);
  });

  it('keeps waiting on a task that is still there, however long the call takes', async () => {
    const tasks = await twoTasks();
    const options = { ...tasks.options(true), deadline: Date.now() + 2500 };
    const failure = await callService(options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TaskCallError);
    expect((failure as TaskCallError).host).toBe(GONE);
    expect((failure as TaskCallError).cause).not.toBeInstanceOf(TaskGoneError);
  });
});
