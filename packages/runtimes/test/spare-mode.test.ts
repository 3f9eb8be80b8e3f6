// DISPATCH_SPARE=1: the local backend's pre-warmed process, started with no function and given one on stdin.
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RUNTIME_LANGUAGES, parseRuntimeStatus } from '../src/index.js';
import type { RuntimeStatus } from '../src/index.js';
import { funkerCall } from './support/funker-call.js';
import { launchServer } from './support/start-server.js';

const HELLO = { nodejs: 'hello.js', python3: 'hello.handle' };

/** The status lines a server writes on fd 3, one at a time. */
function statusLines(stream: Readable): () => Promise<RuntimeStatus | undefined> {
  const lines: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  stream.on('close', () => waiters.splice(0).forEach((waiter) => waiter(undefined)));
  return async () => {
    const line = lines.shift() ?? (await new Promise<string | undefined>((resolve) => waiters.push(resolve)));
    return line === undefined ? undefined : parseRuntimeStatus(line);
  };
}

describe.each(RUNTIME_LANGUAGES)('%s function server as a spare', (language) => {
  it('waits with no function, then takes its environment on stdin, loads the handler and serves', async () => {
    const server = launchServer({ language, handler: '', stdinPipe: true, env: { DISPATCH_SPARE: '1' } });
    try {
      const next = statusLines(server.child.stdio[3] as Readable);
      expect(await next()).toEqual({ status: 'spare', pid: server.child.pid });
      server.child.stdin?.write(`${JSON.stringify({ env: { DISPATCH_HANDLER: HELLO[language] }, unset: ['DISPATCH_SPARE'] })}\n`);
      const ready = await next();
      expect(ready).toMatchObject({ status: 'ready', pid: server.child.pid });
      const port = (ready as { port: number }).port;
      expect((await funkerCall(port, { payload: {} })).payload).toEqual({ myField: 'Hello, Noone from Nowhere' });
    } finally {
      server.child.kill('SIGKILL');
      await server.exit;
    }
  });

  it('exits when its stdin closes before it is given a function', async () => {
    const server = launchServer({ language, handler: '', stdinPipe: true, env: { DISPATCH_SPARE: '1' } });
    const next = statusLines(server.child.stdio[3] as Readable);
    expect(await next()).toMatchObject({ status: 'spare' });
    server.child.stdin?.end();
    expect(await server.exit).toBe(0);
  });
});
