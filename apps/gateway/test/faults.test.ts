import type { DispatchFunction, Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS, createFunction, sourceOf, startTestGateway, writeFunction, type TestGateway } from './harness.js';

// What a user sees when a function misbehaves: a clear error for that call, and a gateway that keeps serving.
describe('functions that misbehave', () => {
  let gateway: TestGateway;

  const run = (functionName: string, input: unknown) =>
    gateway.request({ method: 'POST', url: `/v1/runs?functionName=${functionName}`, payload: { input, blocking: true } });

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true });
    const sources = {
      slowPy: await writeFunction(gateway, 'slow.py', 'import time\n\ndef handle(ctx, payload):\n    time.sleep(30)\n'),
      spinJs: await writeFunction(gateway, 'spin.js', 'module.exports = () => { for (;;) {} };\n'),
      exitPy: await writeFunction(
        gateway,
        'leaver.py',
        'import sys\n\ndef handle(ctx, payload):\n    if payload and payload.get("leave"):\n        sys.exit(1)\n    return "still here"\n',
      ),
      exitJs: await writeFunction(
        gateway,
        'leaver.js',
        'module.exports = (ctx, payload) => { if (payload && payload.leave) process.exit(1); return "still here"; };\n',
      ),
      valuePy: await writeFunction(gateway, 'picky.py', 'def handle(ctx, payload):\n    raise ValueError("name is required")\n'),
      garbageJs: await writeFunction(gateway, 'garbage.js', 'module.exports = () => { const a = {}; a.self = a; return a; };\n'),
    };
    await Promise.all([
      createFunction(gateway, { name: 'slow-py', image: 'python3', sourcePath: sources.slowPy, timeout: 500 }),
      createFunction(gateway, { name: 'spin-js', image: 'nodejs', sourcePath: sources.spinJs, timeout: 500 }),
      createFunction(gateway, { name: 'exit-py', image: 'python3', sourcePath: sources.exitPy }),
      createFunction(gateway, { name: 'exit-js', image: 'nodejs', sourcePath: sources.exitJs }),
      createFunction(gateway, { name: 'picky', image: 'python3', sourcePath: sources.valuePy }),
      createFunction(gateway, { name: 'garbage', image: 'nodejs', sourcePath: sources.garbageJs }),
      createFunction(gateway, { name: 'hello-js', image: 'nodejs', sourcePath: HELLO_JS }),
    ]);
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers InputError (400) when a python function raises ValueError', async () => {
    const response = await run('picky', {});
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 400,
      error: { type: 'InputError', message: expect.stringContaining('name is required') },
    });
  });

  it.each(['slow-py', 'spin-js'])(
    'answers FunctionError (502) when %s runs past its timeout, and keeps serving others meanwhile',
    async (name) => {
      const started = Date.now();
      const slow = run(name, {});
      // The gateway answers other functions while one hangs.
      const other = await run('hello-js', { name: 'meanwhile' });
      expect(other.json<Run>().output).toEqual({ myField: 'Hello, meanwhile from Nowhere' });
      const response = await slow;
      expect(response.statusCode).toBe(502);
      expect(response.json()).toMatchObject({
        code: 502,
        error: { type: 'FunctionError', message: expect.stringContaining('function timed out after 500 ms') },
      });
      expect(Date.now() - started).toBeLessThan(5000);
      // The next call gets a working process.
      expect((await run(name, {})).json()).toMatchObject({ error: { type: 'FunctionError' } });
    },
  );

  it.each(['exit-py', 'exit-js'])('answers an error for the call in which %s exits, and serves the next call', async (name) => {
    const response = await run(name, { leave: true });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ error: { type: 'FunctionError' } });
    const next = await run(name, {});
    expect(next.statusCode).toBe(200);
    expect(next.json<Run>().output).toBe('still here');
  });

  it('answers FunctionError when the output is not JSON', async () => {
    const response = await run('garbage', {});
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ error: { type: 'FunctionError', message: expect.stringMatching(/JSON/) } });
  });

  it('puts a function whose handler cannot be loaded in ERROR with the loader message as its reason', async () => {
    const broken = {
      py: await writeFunction(gateway, 'broken.py', 'import dispatch_no_such_module\n\ndef handle(ctx, payload):\n    return 1\n'),
      js: await writeFunction(gateway, 'broken.js', 'module.exports = function (ctx, payload) {\n  return ;;; )\n};\n'),
    };
    for (const [name, path, image, reason] of [
      ['broken-py', broken.py, 'python3', "ModuleNotFoundError: No module named 'dispatch_no_such_module'"],
      ['broken-js', broken.js, 'nodejs', 'SyntaxError'],
    ] as const) {
      const created = await gateway.request({
        method: 'POST',
        url: '/v1/function',
        payload: { name, image, source: await sourceOf(path) },
      });
      expect(created.statusCode).toBe(201);
      await expect(gateway.dispatch.functions.waitUntilReady(name, { timeoutMs: 60_000 })).rejects.toThrow(reason);
      const fn = (await gateway.request({ method: 'GET', url: `/v1/function/${name}` })).json<DispatchFunction>();
      expect(fn.status).toBe('ERROR');
      expect(fn.reason).toContain(reason);
      const response = await run(name, {});
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 404, message: expect.stringContaining('is not READY (status ERROR') });
    }
  });

  it('checks schema.in before running (422) and schema.out after (FunctionError)', async () => {
    const schema = {
      in: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      out: { type: 'object', required: ['greeting'] },
    };
    await createFunction(gateway, { name: 'checked', image: 'nodejs', sourcePath: HELLO_JS, schema });
    const rejected = await run('checked', { name: 42 });
    expect(rejected.statusCode).toBe(422);
    expect(rejected.json()).toEqual({ code: 422, message: expect.stringContaining('input.name must be string') });
    const wrongOutput = await run('checked', { name: 'user' });
    expect(wrongOutput.statusCode).toBe(502);
    expect(wrongOutput.json()).toMatchObject({ error: { type: 'FunctionError', message: expect.stringContaining('schema.out') } });
  });

  it('refuses a schema that is not valid JSON Schema when the function is created', async () => {
    const response = await gateway.request({
      method: 'POST',
      url: '/v1/function',
      payload: { name: 'bad-schema', image: 'nodejs', source: await sourceOf(HELLO_JS), schema: { in: { type: 'nonsense' } } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ code: 400, message: expect.stringContaining('schema.in is not a valid JSON Schema') });
  });
});
