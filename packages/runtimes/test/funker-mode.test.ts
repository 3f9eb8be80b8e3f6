import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_LANGUAGES } from '../src/index.js';
import { funkerCall, funkerCallRaw } from './support/funker-call.js';
import { startServer, type RunningServer } from './support/start-server.js';

const HANDLERS = {
  nodejs: { hello: 'hello.js', behaviours: 'behaviours.js' },
  python3: { hello: 'hello', behaviours: 'behaviours.handle' },
};

describe.each(RUNTIME_LANGUAGES)('%s function server in funker mode', (language) => {
  let hello: RunningServer;
  let behaviours: RunningServer;

  beforeAll(async () => {
    [hello, behaviours] = await Promise.all([
      startServer({ language, handler: HANDLERS[language].hello }),
      startServer({ language, handler: HANDLERS[language].behaviours, env: { DISPATCH_TIMEOUT_MS: '5000' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([hello?.stop(), behaviours?.stop()]);
  });

  const run = (action: string, fields: Record<string, unknown> = {}, context: unknown = { secrets: {}, timeout: 0 }) =>
    funkerCall(behaviours.port, { context, payload: { action, ...fields } });

  it('answers hello with the place from secrets and the printed line in logs.stdout', async () => {
    const reply = await funkerCall(hello.port, { context: { secrets: { place: 'Mars' }, timeout: 0 }, payload: { name: 'user' } });
    expect(reply).toEqual({
      context: { logs: { stdout: ['messages to stdout show up in logs'], stderr: [] } },
      payload: { myField: 'Hello, user from Mars' },
    });
  });

  it('defaults the place to Nowhere when the secret is missing and the context is absent', async () => {
    const reply = await funkerCall(hello.port, { payload: { name: 'user' } });
    expect(reply.payload).toEqual({ myField: 'Hello, user from Nowhere' });
    expect(reply.context.error).toBeUndefined();
  });

  it('gives each of 20 concurrent calls its own logs', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `call-${i}`);
    const replies = await Promise.all(ids.map((id) => run('log-id', { id, ms: 20 })));
    replies.forEach((reply, i) => {
      expect(reply.payload).toBe(ids[i]);
      expect(reply.context.logs).toEqual({ stdout: [`start ${ids[i]}`, `end ${ids[i]}`], stderr: [`middle ${ids[i]}`] });
    });
  });

  it('passes the default timeout and empty secrets when the request has no context', async () => {
    const reply = await funkerCall(behaviours.port, { payload: { action: 'context' } });
    expect(reply.payload).toEqual({ secrets: {}, timeout: 5000 });
  });

  it('passes the request context (secrets, timeout, runId) to the handler', async () => {
    const context = { secrets: { token: 's3cret' }, timeout: 1234, runId: 'r-1', functionName: 'behaviours' };
    const reply = await run('context', {}, context);
    expect(reply.payload).toEqual(context);
  });

  it('answers InputError when the handler raises TypeError', async () => {
    const reply = await run('throw-type');
    expect(reply.payload).toBeNull();
    expect(reply.context.error).toMatchObject({ type: 'InputError', message: 'TypeError: name must be a string' });
  });

  it('answers FunctionError with a stacktrace when the handler raises another exception', async () => {
    const reply = await run('throw');
    const error = reply.context.error;
    expect(error?.type).toBe('FunctionError');
    expect(error?.message).toMatch(/^(RangeError|LookupError): the dial goes to eleven$/);
    expect(error?.stacktrace.length).toBeGreaterThan(1);
    expect(error?.stacktrace.join('\n')).toContain('behaviours');
    expect(error?.stacktrace.join('\n')).not.toMatch(/server\.(cjs|py)/);
  });

  it('answers FunctionError "function timed out after N ms" with the logs so far, and answers the next call', async () => {
    const reply = await run('sleep', { ms: 2000 }, { secrets: {}, timeout: 100 });
    expect(reply.context.error?.type).toBe('FunctionError');
    expect(reply.context.error?.message).toMatch(/^function timed out after 100 ms/);
    expect(reply.context.logs.stdout).toEqual(['going to sleep']);
    const next = await run('sleep', { ms: 10 }, { secrets: {}, timeout: 1000 });
    expect(next.payload).toBe('awake');
  });

  it('answers FunctionError when the return value is not JSON-serialisable', async () => {
    const reply = await run(language === 'nodejs' ? 'bigint' : 'set');
    expect(reply.context.error?.type).toBe('FunctionError');
    expect(reply.context.error?.message).toContain('not JSON-serialisable');
  });

  it('answers InputError when the request is not valid JSON', async () => {
    const reply = JSON.parse(await funkerCallRaw(behaviours.port, '{"payload": ')) as { context: { error: { type: string } } };
    expect(reply.context.error.type).toBe('InputError');
  });

  it('answers InputError when the request is not a JSON object', async () => {
    const reply = JSON.parse(await funkerCallRaw(behaviours.port, '[1, 2]')) as { context: { error: { type: string; message: string } } };
    expect(reply.context.error).toMatchObject({ type: 'InputError', message: expect.stringContaining('JSON object') });
  });

  it('round-trips a multi-byte UTF-8 payload split across many TCP chunks', async () => {
    const value = { text: '😀 你好 ünïcödé '.repeat(20_000), emoji: '🚀' };
    const reply = await run('echo', { value });
    expect(reply.payload).toEqual(value);
  });

  it('answers a null payload when the handler returns nothing', async () => {
    const raw = await funkerCallRaw(behaviours.port, JSON.stringify({ payload: { action: 'nothing' } }));
    expect(raw).toMatch(/"payload":null\}$/);
    expect(JSON.parse(raw)).toEqual({ context: { logs: { stdout: [], stderr: [] } }, payload: null });
  });

  it('passes a null payload through as null', async () => {
    const reply = await run('echo', { value: null });
    expect(reply).toEqual({ context: { logs: { stdout: [], stderr: [] } }, payload: null });
  });
});
