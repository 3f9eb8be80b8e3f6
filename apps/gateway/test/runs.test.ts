import type { Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS, HELLO_PY, STDOUT_LINE, createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';

describe('runs through the REST API', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true });
    await createFunction(gateway, { name: 'hello', image: 'python3', sourcePath: HELLO_PY });
    await createFunction(gateway, { name: 'hello-js', image: 'nodejs', sourcePath: HELLO_JS });
    await createFunction(gateway, {
      name: 'fails',
      image: 'nodejs',
      sourcePath: await writeFunction(
        gateway,
        'fails.js',
        `module.exports = function (context, payload) {
          if (payload && payload.kind === 'input') throw new TypeError('name must be a string');
          throw new Error('the database is down');
        };`,
      ),
    });
    const secret = await gateway.request({
      method: 'POST',
      url: '/v1/secret',
      payload: { name: 'place', secrets: { place: 'Palo Alto' } },
    });
    expect(secret.statusCode).toBe(201);
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
  });

  const run = (functionName: string, payload: object) =>
    gateway.request({ method: 'POST', url: `/v1/runs?functionName=${functionName}`, payload });

  it('runs a python3 function and answers with its output and logs', async () => {
    const response = await run('hello', { input: { name: 'user' }, blocking: true });
    expect(response.statusCode).toBe(200);
    const body = response.json<Run>();
    expect(body.output).toEqual({ myField: 'Hello, user from Nowhere' });
    expect(body.logs.stdout).toContain(STDOUT_LINE);
    expect(body).toMatchObject({ functionName: 'hello', status: 'READY', input: { name: 'user' } });
    expect(body.name).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('runs a nodejs function and answers with its output and logs', async () => {
    const response = await run('hello-js', { input: { name: 'user' } });
    expect(response.statusCode).toBe(200);
    expect(response.json<Run>().output).toEqual({ myField: 'Hello, user from Nowhere' });
    expect(response.json<Run>().logs.stdout).toContain(STDOUT_LINE);
  });

  it('blocks by default and runs with no body at all', async () => {
    const response = await gateway.request({ method: 'POST', url: '/v1/runs?functionName=hello' });
    expect(response.statusCode).toBe(200);
    expect(response.json<Run>().output).toEqual({ myField: 'Hello, Noone from Nowhere' });
  });

  it('hands the secrets named by the run to the function', async () => {
    for (const name of ['hello', 'hello-js']) {
      const response = await run(name, { input: { name: 'user' }, secrets: ['place'] });
      expect(response.statusCode).toBe(200);
      expect(response.json<Run>().output).toEqual({ myField: 'Hello, user from Palo Alto' });
    }
  });

  it("hands the function's own secrets to it on every run", async () => {
    const updated = await gateway.request({ method: 'PUT', url: '/v1/function/hello-js', payload: { secrets: ['place'] } });
    expect(updated.statusCode).toBe(200);
    await gateway.dispatch.functions.waitUntilReady('hello-js', { timeoutMs: 120_000 });
    const response = await run('hello-js', { input: { name: 'user' } });
    expect(response.json<Run>().output).toEqual({ myField: 'Hello, user from Palo Alto' });
  });

  it('runs a function through the V1 path /v1/function/{name}/runs', async () => {
    const response = await gateway.request({
      method: 'POST',
      url: '/v1/function/hello/runs',
      payload: { input: { name: 'V1' } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<Run>().output).toEqual({ myField: 'Hello, V1 from Nowhere' });
  });

  it('answers 502 with the run and {code, message} when the function throws', async () => {
    const response = await run('fails', { input: {} });
    expect(response.statusCode).toBe(502);
    const body = response.json<Run & { code: number; message: string }>();
    expect(body.code).toBe(502);
    expect(body.message).toMatch(/^FunctionError: .*the database is down/);
    expect(body.error?.type).toBe('FunctionError');
    expect(body.functionName).toBe('fails');
  });

  it('answers 400 with the run when the function rejects its input', async () => {
    const response = await run('fails', { input: { kind: 'input' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 400, error: { type: 'InputError' } });
    expect(response.json<{ message: string }>().message).toMatch(/^InputError: .*name must be a string/);
  });

  it('answers 404 when the function does not exist', async () => {
    const response = await run('nobody', { input: {} });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      code: 404,
      kind: 'EntityNotFound',
      entity: { kind: 'function', name: 'nobody' },
      message: 'function "nobody" not found',
    });
  });

  it('answers 400 when functionName is missing', async () => {
    const response = await gateway.request({ method: 'POST', url: '/v1/runs', payload: { input: {} } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ code: 400, message: expect.stringContaining('functionName') });
  });

  it('answers 400 naming the field when the run request has the wrong shape', async () => {
    const response = await run('hello', { input: {}, secrets: { not: 'a list' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ code: 400, message: expect.stringContaining('secrets') });
  });

  it('answers 202 for an async run, which then finishes and can be read by id', async () => {
    const response = await run('hello', { input: { name: 'later' }, blocking: false });
    expect(response.statusCode).toBe(202);
    const accepted = response.json<Run>();
    expect(accepted.blocking).toBe(false);

    let finished: Run | undefined;
    for (let attempt = 0; attempt < 200 && finished === undefined; attempt++) {
      const read = await gateway.request({ method: 'GET', url: `/v1/runs/${accepted.name}` });
      expect(read.statusCode).toBe(200);
      const current = read.json<Run>();
      if (current.status === 'READY' || current.status === 'ERROR') finished = current;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(finished).toMatchObject({ status: 'READY', output: { myField: 'Hello, later from Nowhere' } });
    expect(finished?.logs.stdout).toContain(STDOUT_LINE);
  });

  it('answers 404 for an unknown run id', async () => {
    const response = await gateway.request({ method: 'GET', url: '/v1/runs/00000000-0000-0000-0000-000000000000' });
    expect(response.statusCode).toBe(404);
    expect(response.json<{ code: number }>().code).toBe(404);
  });

  it('lists the runs of a function, newest first, with their history', async () => {
    await run('hello', { input: { name: 'first' } });
    await run('hello', { input: { name: 'second' } });
    const response = await gateway.request({ method: 'GET', url: '/v1/runs?functionName=hello&limit=2' });
    expect(response.statusCode).toBe(200);
    const runs = response.json<Run[]>();
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => r.input)).toEqual([{ name: 'second' }, { name: 'first' }]);
    expect(runs.every((r) => r.functionName === 'hello')).toBe(true);

    const v1 = await gateway.request({ method: 'GET', url: '/v1/function/hello/runs' });
    expect(v1.json<Run[]>().length).toBeGreaterThan(2);

    const all = await gateway.request({ method: 'GET', url: '/v1/runs' });
    const names = new Set(all.json<Run[]>().map((r) => r.functionName));
    expect(names).toContain('hello');
    expect(names).toContain('fails');
  });

  it('lists at most 1000 runs in one answer, and pages through more with offset', async () => {
    const response = await gateway.request({ method: 'GET', url: '/v1/runs?limit=1001' });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ code: number; message: string }>()).toMatchObject({ code: 400, message: expect.stringMatching(/limit.*1000/) });

    const list = async (query: string) =>
      (await gateway.request({ method: 'GET', url: `/v1/runs?functionName=hello&${query}` })).json<Run[]>().map((r) => r.id);
    const firstThree = await list('limit=3');
    expect(firstThree).toHaveLength(3);
    expect([...(await list('limit=1')), ...(await list('limit=2&offset=1'))]).toEqual(firstThree);
    const v1 = await gateway.request({ method: 'GET', url: '/v1/function/hello/runs?limit=1&offset=2' });
    expect(v1.json<Run[]>().map((r) => r.id)).toEqual(firstThree.slice(2));
  });

  it('serialises any JSON value as input and output', async () => {
    const echo = await writeFunction(gateway, 'echo.js', 'module.exports = (context, payload) => payload;');
    await createFunction(gateway, { name: 'echo', image: 'nodejs', sourcePath: echo });
    for (const value of ['text', 42, 1.5, true, null, [1, 'two', { three: 3 }], { nested: { list: [null] } }]) {
      const response = await run('echo', { input: value });
      expect(response.statusCode).toBe(200);
      expect(response.json<Run>()).toMatchObject({ input: value, output: value });
    }
  });

  it("streams a function's logs as NDJSON, including the lines its runs printed", async () => {
    await run('hello', { input: { name: 'logged' } });
    const response = await gateway.request({ method: 'GET', url: '/v1/function/hello/logs?tail=50' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    const lines = response.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { stream: string; line: string; time: number });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stdout', line: STDOUT_LINE }));
    expect((await gateway.request({ method: 'GET', url: '/v1/function/nope/logs' })).statusCode).toBe(404);
  });

  it('keeps a followed log stream open and sends the lines of new runs as they come', async () => {
    const address = await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const response = await fetch(`${address}/v1/function/hello/logs?follow=true&tail=0`, {
      signal: controller.signal,
      headers: { authorization: `Bearer ${gateway.token}` },
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await run('hello', { input: { name: 'followed' } });
    let received = '';
    while (!received.includes(STDOUT_LINE)) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    expect(received).toContain(STDOUT_LINE);
    controller.abort();
  });
});
