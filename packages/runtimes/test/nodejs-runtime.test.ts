import { describe, expect, it } from 'vitest';
import { funkerCall, funkerCallRaw } from './support/funker-call.js';
import { launchServer, startServer } from './support/start-server.js';

const language = 'nodejs';

async function callOnce(handler: string, payload: unknown = null) {
  const server = await startServer({ language, handler });
  try {
    return await funkerCall(server.port, { payload });
  } finally {
    await server.stop();
  }
}

describe('nodejs function server', () => {
  it('uses module.exports.handle when the module exports an object', async () => {
    expect((await callOnce('handle-export.js', 1)).payload).toEqual({ via: 'handle', payload: 1 });
  });

  it('uses the default export of an ES module', async () => {
    expect((await callOnce('esm-default.mjs', 'x')).payload).toEqual({ via: 'export default', payload: 'x' });
  });

  it('loads an ES module with top-level await', async () => {
    expect((await callOnce('top-level-await.mjs')).payload).toBe('awaited at load');
  });

  it('loads a folder through its package.json main', async () => {
    expect((await callOnce('folder-handler')).payload).toBe('from the folder main');
  });

  it('reports a module that exports no function as a load error', async () => {
    const server = launchServer({ language, handler: 'no-function.js' });
    expect(await server.status).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^TypeError: no-function\.js exports no function/),
    });
    expect(await server.exit).toBe(3);
  });

  it('answers FunctionError when the returned promise rejects', async () => {
    const reply = await callOnce('behaviours.js', { action: 'reject' });
    expect(reply.context.error).toMatchObject({ type: 'FunctionError', message: 'Error: rejected later' });
  });

  it('lets process.exit() end the process, so the caller gets an empty reply', async () => {
    const server = await startServer({ language, handler: 'behaviours.js' });
    expect(await funkerCallRaw(server.port, JSON.stringify({ payload: { action: 'exit' } }))).toBe('');
    expect(await server.exit).toBe(0);
  });

  it('keeps serving after a handler leaves a promise rejection unhandled', async () => {
    const server = await startServer({ language, handler: 'behaviours.js' });
    try {
      expect((await funkerCall(server.port, { payload: { action: 'stray-rejection' } })).payload).toBe('answered anyway');
      await expect.poll(() => server.stderr()).toContain('nobody awaited this');
      expect((await funkerCall(server.port, { payload: { action: 'echo', value: 2 } })).payload).toBe(2);
    } finally {
      await server.stop();
    }
  });

  it('passes output printed after a call has answered through to the real stdout', async () => {
    const server = await startServer({ language, handler: 'behaviours.js' });
    try {
      const reply = await funkerCall(server.port, { payload: { action: 'late-log', line: 'printed late' } });
      expect(reply).toEqual({ context: { logs: { stdout: [], stderr: [] } }, payload: 'returned first' });
      await expect.poll(() => server.stdout()).toContain('printed late\n');
    } finally {
      await server.stop();
    }
  });
});
