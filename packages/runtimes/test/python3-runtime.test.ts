import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { funkerCall } from './support/funker-call.js';
import { launchServer, startServer, type RunningServer } from './support/start-server.js';

const language = 'python3';

async function callOnce(handler: string, env: Record<string, string> = {}) {
  const server = await startServer({ language, handler, env });
  try {
    return await funkerCall(server.port, { payload: {} });
  } finally {
    await server.stop();
  }
}

describe('python3 function server', () => {
  let behaviours: RunningServer;
  beforeAll(async () => {
    behaviours = await startServer({ language, handler: 'behaviours.handle' });
  });
  afterAll(async () => {
    await behaviours?.stop();
  });

  it('answers InputError when the handler raises ValueError', async () => {
    const reply = await funkerCall(behaviours.port, { payload: { action: 'throw-value' } });
    expect(reply.context.error).toMatchObject({ type: 'InputError', message: 'ValueError: name must be a string' });
    expect(reply.context.error?.stacktrace[0]).toBe('Traceback (most recent call last):');
  });

  it('answers FunctionError when the handler calls sys.exit(), and answers the next call', async () => {
    const reply = await funkerCall(behaviours.port, { payload: { action: 'exit' } });
    expect(reply.context.error).toMatchObject({ type: 'FunctionError', message: 'SystemExit: the function called sys.exit(2)' });
    expect((await funkerCall(behaviours.port, { payload: { action: 'echo', value: 'still here' } })).payload).toBe('still here');
  });

  it('attributes output of a logging handler configured at import time to the call', async () => {
    const reply = await funkerCall(behaviours.port, { payload: { action: 'logging' } });
    expect(reply.context.logs).toEqual({ stdout: [], stderr: ['INFO via logging'] });
  });

  it.each(['hello', 'hello.py', 'hello.handle'])('takes handler %s to mean hello.handle', async (handler) => {
    expect((await callOnce(handler)).payload).toEqual({ myField: 'Hello, Noone from Nowhere' });
  });

  it('resolves a function in a dotted package module', async () => {
    expect((await callOnce('pkg.greet.shout')).payload).toBe('greet.shout');
  });

  it('takes a dotted module path without a function to mean its handle', async () => {
    expect((await callOnce('pkg.greet')).payload).toBe('greet.handle');
  });

  it('imports dependencies from PYTHONPATH', async () => {
    const deps = fileURLToPath(new URL('./fixtures/python3/deps', import.meta.url));
    expect((await callOnce('uses_dependency', { PYTHONPATH: deps })).payload).toBe('from PYTHONPATH');
  });

  it('reports a missing function as a load error', async () => {
    const server = launchServer({ language, handler: 'hello.nope' });
    expect(await server.status).toEqual({ status: 'error', message: "AttributeError: module 'hello' has no attribute 'nope'" });
    expect(await server.exit).toBe(3);
  });
});
