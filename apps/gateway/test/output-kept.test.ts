import type { Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';

/** Each function prints a line, then ends its process or runs past its timeout of 1 s. */
const FUNCTIONS = [
  {
    name: 'exits-js',
    image: 'nodejs',
    file: 'exits.js',
    line: 'js: printed before exit',
    code: `module.exports = () => { console.log('js: printed before exit'); process.exit(3); };\n`,
  },
  {
    name: 'loops-js',
    image: 'nodejs',
    file: 'loops.js',
    line: 'js: printed before the loop',
    code: `module.exports = () => { console.log('js: printed before the loop'); for (;;) {} };\n`,
  },
  {
    name: 'exits-py',
    image: 'python3',
    file: 'exits.py',
    line: 'py: printed before exit',
    code: `import os\n\ndef handle(context, payload):\n    print("py: printed before exit")\n    os._exit(3)\n`,
  },
  {
    name: 'loops-py',
    image: 'python3',
    file: 'loops.py',
    line: 'py: printed before the loop',
    code: `def handle(context, payload):\n    print("py: printed before the loop")\n    while True:\n        pass\n`,
  },
] as const;

async function logLines(gateway: TestGateway, name: string): Promise<string[]> {
  const response = await gateway.request({ method: 'GET', url: `/v1/function/${name}/logs` });
  expect(response.statusCode).toBe(200);
  return response.body
    .split('\n')
    .filter((text) => text.trim() !== '')
    .map((text) => (JSON.parse(text) as { line: string }).line);
}

describe('output a function printed before its process ended', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
    for (const fn of FUNCTIONS) {
      await createFunction(gateway, {
        name: fn.name,
        image: fn.image,
        timeout: 1000,
        sourcePath: await writeFunction(gateway, fn.file, fn.code),
      });
    }
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('is kept on the run and in the logs, also after the gateway restarts', async () => {
    for (const fn of FUNCTIONS) {
      const response = await gateway.request({ method: 'POST', url: `/v1/runs?functionName=${fn.name}`, payload: { input: {} } });
      const run = response.json<Run>();
      expect(run.error?.type, fn.name).toBe('FunctionError');
      expect(run.logs.stdout, fn.name).toContain(fn.line);
      expect(await logLines(gateway, fn.name), fn.name).toContain(fn.line);
    }

    await gateway.close({ keepData: true });
    gateway = await startTestGateway({ dataDir: gateway.dataDir });
    for (const fn of FUNCTIONS) {
      await gateway.dispatch.functions.waitUntilReady(fn.name, { timeoutMs: 60_000 });
      expect(await logLines(gateway, fn.name), `${fn.name} after a restart`).toContain(fn.line);
    }
  }, 120_000);
});
