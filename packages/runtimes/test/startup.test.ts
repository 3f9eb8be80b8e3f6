import { describe, expect, it } from 'vitest';
import { RUNTIME_LANGUAGES, RUNTIME_LOAD_FAILED_EXIT_CODE } from '../src/index.js';
import { funkerCall } from './support/funker-call.js';
import { launchServer, startServer } from './support/start-server.js';

const FIXTURES = {
  nodejs: {
    hello: 'hello.js',
    behaviours: 'behaviours.js',
    syntaxError: 'syntax-error.js',
    missingDependency: 'missing-dependency.js',
    missingMessage: "Error: Cannot find module 'dispatch-no-such-package'",
  },
  python3: {
    hello: 'hello.handle',
    behaviours: 'behaviours',
    syntaxError: 'syntax_error',
    missingDependency: 'missing_dependency.handle',
    missingMessage: "ModuleNotFoundError: No module named 'dispatch_no_such_module'",
  },
};

describe.each(RUNTIME_LANGUAGES)('%s function server start-up', (language) => {
  const fixtures = FIXTURES[language];

  it('reports ready with the port it listens on and its pid on the status fd', async () => {
    const server = await startServer({ language, handler: fixtures.hello });
    try {
      expect(await server.status).toEqual({ status: 'ready', port: server.port, pid: server.child.pid });
      expect(server.port).toBeGreaterThan(0);
      expect((await funkerCall(server.port, { payload: {} })).payload).toEqual({ myField: 'Hello, Noone from Nowhere' });
    } finally {
      await server.stop();
    }
  });

  it('prints the ready line to stderr when there is no status fd', async () => {
    const server = launchServer({ language, handler: fixtures.hello, statusFd: false });
    try {
      await expect.poll(() => server.stderr(), { timeout: 10_000 }).toMatch(/^\{"status":"ready","port":\d+,"pid":\d+\}\n/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });

  it('reports a syntax error with the loader message on the status fd and exits 3', async () => {
    const server = launchServer({ language, handler: fixtures.syntaxError });
    const status = await server.status;
    expect(status).toMatchObject({ status: 'error', message: expect.stringMatching(/^SyntaxError: /) });
    expect(await server.exit).toBe(RUNTIME_LOAD_FAILED_EXIT_CODE);
  });

  it('reports a missing dependency with the loader message and exits 3', async () => {
    const server = launchServer({ language, handler: fixtures.missingDependency });
    expect(await server.status).toEqual({ status: 'error', message: fixtures.missingMessage });
    expect(await server.exit).toBe(RUNTIME_LOAD_FAILED_EXIT_CODE);
  });

  it('reports a missing handler file and exits 3', async () => {
    const server = launchServer({ language, handler: language === 'nodejs' ? 'nope.js' : 'nope.handle' });
    expect(await server.status).toMatchObject({ status: 'error', message: expect.stringContaining('nope') });
    expect(await server.exit).toBe(RUNTIME_LOAD_FAILED_EXIT_CODE);
  });

  it('exits 0 on --check when the handler loads', async () => {
    const server = launchServer({ language, handler: fixtures.hello, args: ['--check'], statusFd: false });
    expect(await server.exit).toBe(0);
  });

  it('exits 3 on --check and prints the loader message when the handler does not load', async () => {
    const server = launchServer({ language, handler: fixtures.missingDependency, args: ['--check'], statusFd: false });
    expect(await server.exit).toBe(RUNTIME_LOAD_FAILED_EXIT_CODE);
    expect(server.stderr().trim()).toBe(fixtures.missingMessage);
  });

  it('finishes in-flight calls and exits 0 on SIGTERM', async () => {
    const server = await startServer({ language, handler: fixtures.behaviours });
    const inFlight = funkerCall(server.port, { context: { secrets: {}, timeout: 5000 }, payload: { action: 'sleep', ms: 300 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.child.kill('SIGTERM');
    expect((await inFlight).payload).toBe('awake');
    expect(await server.exit).toBe(0);
  });

  it('exits when the pipe its parent keeps on stdin closes, so it never outlives a killed gateway', async () => {
    const server = await startServer({ language, handler: fixtures.hello, stdinPipe: true, env: { DISPATCH_EXIT_WITH_PARENT: '1' } });
    expect((await funkerCall(server.port, { payload: {} })).payload).toEqual({ myField: 'Hello, Noone from Nowhere' });
    server.child.stdin?.end();
    expect(await server.exit).toBe(0);
  });
});
