import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_LANGUAGES } from '../src/index.js';
import { httpCall } from './support/http-call.js';
import { startServer, type RunningServer } from './support/start-server.js';

const HANDLERS = { nodejs: 'behaviours.js', python3: 'behaviours' };

describe.each(RUNTIME_LANGUAGES)('%s function server in http mode', (language) => {
  let server: RunningServer;
  let hello: RunningServer;

  beforeAll(async () => {
    [server, hello] = await Promise.all([
      startServer({ language, handler: HANDLERS[language], mode: 'http' }),
      startServer({ language, handler: language === 'nodejs' ? 'hello.js' : 'hello.handle', mode: 'http' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), hello?.stop()]);
  });

  const post = (payload: unknown, path = '/') =>
    httpCall(server.port, { path, body: JSON.stringify({ context: { secrets: {}, timeout: 2000 }, payload }) });

  it('answers POST / with the envelope and 200 on success', async () => {
    const reply = await httpCall(hello.port, {
      body: JSON.stringify({ context: { secrets: { place: 'Mars' } }, payload: { name: 'Jon' } }),
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({
      context: { logs: { stdout: ['messages to stdout show up in logs'], stderr: [] } },
      payload: { myField: 'Hello, Jon from Mars' },
    });
  });

  it('serves POST on any path other than /healthz', async () => {
    const reply = await post({ action: 'echo', value: 'anywhere' }, '/run/behaviours?x=1');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).payload).toBe('anywhere');
  });

  it('answers 400 with an InputError envelope when the handler raises TypeError', async () => {
    const reply = await post({ action: 'throw-type' });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).context.error.type).toBe('InputError');
  });

  it('answers 400 when the request body is not valid JSON', async () => {
    const reply = await httpCall(server.port, { body: 'not json' });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).context.error.type).toBe('InputError');
  });

  it('answers 500 with a FunctionError envelope when the handler raises another exception', async () => {
    const reply = await post({ action: 'throw' });
    expect(reply.status).toBe(500);
    const envelope = JSON.parse(reply.body);
    expect(envelope.context.error.type).toBe('FunctionError');
    expect(envelope.payload).toBeNull();
  });

  it('answers 500 with a timeout FunctionError when the handler runs too long', async () => {
    const reply = await httpCall(server.port, {
      body: JSON.stringify({ context: { secrets: {}, timeout: 50 }, payload: { action: 'sleep', ms: 1000 } }),
    });
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body).context.error.message).toMatch(/^function timed out after 50 ms/);
  });

  it('answers GET /healthz with 200 {}', async () => {
    const reply = await httpCall(server.port, { method: 'GET', path: '/healthz' });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({});
  });

  it('answers 405 with an error envelope for other methods', async () => {
    const reply = await httpCall(server.port, { method: 'PUT', body: '{}' });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
    expect(JSON.parse(reply.body).context.error.message).toContain('PUT');
  });

  it('keeps the connection alive across calls', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const replies = [];
      for (let i = 0; i < 5; i++) {
        replies.push(await httpCall(server.port, { agent, body: JSON.stringify({ payload: { action: 'echo', value: i } }) }));
      }
      expect(replies.map((reply) => JSON.parse(reply.body).payload)).toEqual([0, 1, 2, 3, 4]);
      expect(replies.slice(1).every((reply) => reply.reusedSocket)).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('answers 413 when the declared body exceeds 64 MiB', async () => {
    const reply = await httpCall(server.port, { headers: { 'content-length': String(65 * 1024 * 1024) } });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).context.error.type).toBe('InputError');
  });

  it('round-trips a multi-byte UTF-8 payload', async () => {
    const value = '😀 你好 '.repeat(10_000);
    const reply = await post({ action: 'echo', value });
    expect(JSON.parse(reply.body).payload).toBe(value);
  });
});
