import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ENV, functionServerCommand, functionServerEnv, functionServerPath, parseRuntimeStatus } from '../src/index.js';

describe('functionServerPath', () => {
  it.each([
    ['nodejs', /nodejs\/server\.cjs$/],
    ['python3', /python3\/server\.py$/],
  ] as const)('points at the %s server file', (language, pattern) => {
    const path = functionServerPath(language);
    expect(isAbsolute(path)).toBe(true);
    expect(path).toMatch(pattern);
    expect(existsSync(path)).toBe(true);
  });
});

describe('functionServerCommand', () => {
  it('runs the nodejs server with the current node binary by default', () => {
    expect(functionServerCommand('nodejs')).toEqual({ command: process.execPath, args: [functionServerPath('nodejs')] });
  });

  it('runs the python3 server with python3 from the PATH by default', () => {
    expect(functionServerCommand('python3')).toEqual({ command: 'python3', args: [functionServerPath('python3')] });
  });

  it('uses the given interpreters and appends --check on request', () => {
    expect(functionServerCommand('nodejs', { node: '/usr/bin/node', check: true })).toEqual({
      command: '/usr/bin/node',
      args: [functionServerPath('nodejs'), '--check'],
    });
    expect(functionServerCommand('python3', { python: 'python3.12' }).command).toBe('python3.12');
  });
});

describe('functionServerEnv', () => {
  it('maps settings to the variables the servers read, with the port variable of the mode', () => {
    expect(
      functionServerEnv({ handler: 'hello.handle', functionDir: '/function', mode: 'http', port: 8080, statusFd: 3, timeoutMs: 1000 }),
    ).toEqual({
      DISPATCH_HANDLER: 'hello.handle',
      DISPATCH_MODE: 'http',
      DISPATCH_FUNCTION_DIR: '/function',
      PORT: '8080',
      DISPATCH_STATUS_FD: '3',
      DISPATCH_TIMEOUT_MS: '1000',
    });
    expect(functionServerEnv({ handler: 'hello.js', port: 0 })).toEqual({
      [RUNTIME_ENV.handler]: 'hello.js',
      [RUNTIME_ENV.mode]: 'funker',
      [RUNTIME_ENV.funkerPort]: '0',
    });
  });
});

describe('parseRuntimeStatus', () => {
  it('parses ready, error and spare lines', () => {
    expect(parseRuntimeStatus('{"status":"ready","port":9999,"pid":7}')).toEqual({ status: 'ready', port: 9999, pid: 7 });
    expect(parseRuntimeStatus('{"status":"error","message":"SyntaxError: x"}')).toEqual({ status: 'error', message: 'SyntaxError: x' });
    expect(parseRuntimeStatus('{"status":"spare","pid":7}')).toEqual({ status: 'spare', pid: 7 });
  });

  it('answers undefined for anything else', () => {
    expect(parseRuntimeStatus('')).toBeUndefined();
    expect(parseRuntimeStatus('Traceback (most recent call last):')).toBeUndefined();
    expect(parseRuntimeStatus('{"status":"ready"}')).toBeUndefined();
  });
});
