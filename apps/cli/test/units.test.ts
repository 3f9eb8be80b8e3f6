import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inApplyOrder } from '../src/lib/apply.js';
import { printLogStream } from '../src/lib/function-logs.js';
import type { FunctionLogLine } from '../src/client/gateway-client.js';
import { hoistGlobalFlags } from '../src/lib/argv.js';
import { resolveConnection } from '../src/lib/connection.js';
import { loadManifest } from '../src/lib/manifest.js';
import { renderTable, truncate } from '../src/lib/table.js';
import { unreachable } from '../src/client/unreachable.js';
import type { Connection } from '../src/lib/connection.js';
import { fitStatus } from '../src/lib/wait.js';
import { closestCommand } from '../src/hooks/command-not-found.js';

describe('hoistGlobalFlags', () => {
  it('moves global flags written before the command to after it, as the seed writes them', () => {
    expect(hoistGlobalFlags(['--config', './config.json', 'create', 'image', 'python3', 'url'])).toEqual([
      'create',
      'image',
      'python3',
      'url',
      '--config',
      './config.json',
    ]);
    expect(hoistGlobalFlags(['--insecure', '-o', 'json', '--port=9', 'get', 'function'])).toEqual([
      'get',
      'function',
      '--insecure',
      '-o',
      'json',
      '--port=9',
    ]);
  });

  it('leaves everything else alone', () => {
    expect(hoistGlobalFlags(['get', 'function', '--port', '9'])).toEqual(['get', 'function', '--port', '9']);
    expect(hoistGlobalFlags(['--version'])).toEqual(['--version']);
    expect(hoistGlobalFlags(['--config'])).toEqual(['--config']);
    expect(hoistGlobalFlags(['--port', '9', 'exec', 'f', '--', 'x'])).toEqual(['exec', 'f', '--port', '9', '--', 'x']);
  });
});

describe('renderTable', () => {
  it('centres headers, pads cells and underlines the header', () => {
    expect(
      renderTable(
        ['NAME', 'STATUS'],
        [
          ['hello', 'READY'],
          ['a', 'ERROR: x'],
        ],
      ),
    ).toBe(['  NAME |  STATUS', '------------------', ' hello | READY', ' a     | ERROR: x'].join('\n'));
  });

  it('aligns columns by the width text takes in a terminal: wide characters count two, colour codes none', () => {
    const table = renderTable(
      ['NAME', 'TAG'],
      [
        ['日本', 'x'],
        ['\u001b[31mred\u001b[0m', 'y'],
        ['ab', 'z'],
      ],
    );
    expect(table).toBe([' NAME | TAG', '------------', ' 日本 | x', ' \u001b[31mred\u001b[0m  | y', ' ab   | z'].join('\n'));
  });

  it('truncates long cells to one line', () => {
    expect(truncate('a\nb  c', 10)).toBe('a b c');
    expect(truncate('abcdefghijk', 5)).toBe('abcd…');
  });
});

describe('resolveConnection', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dispatch-cli-units-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a hand-written seed config and lets flags override the context', async () => {
    const config = join(dir, 'seed.json');
    await writeFile(config, '{"current": "r", "contexts": {"r": {"host": "10.0.0.1", "port": 443, "scheme": "https", "insecure": true}}}');
    expect(await resolveConnection({ config })).toMatchObject({ url: 'https://10.0.0.1:443', insecure: true, contextName: 'r' });
    expect(await resolveConnection({ config, host: 'h', port: 80, scheme: 'http', token: 't' })).toMatchObject({
      url: 'http://h:80',
      token: 't',
    });
  });

  it('defaults a context without port or scheme to https on 443', async () => {
    const config = join(dir, 'bare.json');
    await writeFile(config, '{"current": "b", "contexts": {"b": {"host": "::1"}}}');
    expect((await resolveConnection({ config })).url).toBe('https://[::1]:443');
  });

  it('uses the local gateway when the default config file does not exist, and requires a named one', async () => {
    const previous = process.env.HOME;
    process.env.HOME = dir;
    try {
      expect((await resolveConnection({})).url).toBe('http://127.0.0.1:8080');
    } finally {
      process.env.HOME = previous;
    }
    await expect(resolveConnection({ config: join(dir, 'missing.json') })).rejects.toMatchObject({ code: 400 });
  });
});

describe('loadManifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dispatch-cli-manifest-unit-'));
    await writeFile(join(dir, 'requirements.txt'), 'requests==2.32.3\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("inlines '@file' values, keeps '@@' as a literal '@', and orders documents by dependency", async () => {
    const path = join(dir, 'app.yaml');
    await writeFile(
      path,
      [
        'kind: Endpoint',
        'name: e',
        'function: f',
        '---',
        'kind: Image',
        'name: i',
        'baseImage: python3-base',
        "runtimeDependencies: {manifest: '@requirements.txt'}",
        '---',
        '---',
        'kind: secret',
        'name: s',
        "secrets: {handle: '@@dispatch'}",
      ].join('\n'),
    );
    const documents = await loadManifest(path);
    expect(documents.map((document) => [document.index, document.kind])).toEqual([
      [1, 'endpoint'],
      [2, 'image'],
      [4, 'secret'],
    ]);
    expect(documents[1]?.body.runtimeDependencies).toEqual({ manifest: 'requests==2.32.3\n' });
    expect(documents[2]?.body.secrets).toEqual({ handle: '@dispatch' });
    expect(inApplyOrder(documents).map((document) => document.kind)).toEqual(['image', 'secret', 'endpoint']);
  });

  it('refuses a document without a kind or a name, naming it', async () => {
    const path = join(dir, 'nameless.yaml');
    await writeFile(path, 'kind: Secret\nname: ok\n---\nkind: Secret\n');
    await expect(loadManifest(path)).rejects.toMatchObject({ code: 400, message: `${path}: document 2: Secret has no name` });
    await writeFile(path, '- a list\n');
    await expect(loadManifest(path)).rejects.toMatchObject({ message: `${path}: document 1: must be a mapping with a kind and a name` });
  });
});

describe('printLogStream', () => {
  it('writes each NDJSON line of the log stream as it arrives, even split across chunks', async () => {
    async function* chunks() {
      yield Buffer.from('{"time": 1, "stream": "stdout", "line": "one", "source": "r1"}\n{"stream": "std');
      yield Buffer.from('err", "line": "two"}\nnot json\n');
    }
    const lines: FunctionLogLine[] = [];
    await printLogStream(chunks(), (line) => lines.push(line));
    expect(lines.map((line) => [line.stream, line.line])).toEqual([
      ['stdout', 'one'],
      ['stderr', 'two'],
      ['stdout', 'not json'],
    ]);
  });

  it('says whether the gateway stopped, or the connection closed, and takes neither for an error', async () => {
    async function* stopped() {
      yield Buffer.from('{"stream": "stdout", "line": "last"}\n{"type": "stopped", "message": "the gateway stopped"}\n');
    }
    const lines: FunctionLogLine[] = [];
    expect(await printLogStream(stopped(), (line) => lines.push(line))).toBe('stopped');
    expect(lines.map((line) => line.line)).toEqual(['last']);
    async function* reset() {
      yield Buffer.from('{"stream": "stdout", "line": "one"}\n');
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    expect(await printLogStream(reset(), () => undefined)).toBe('lost');
  });
});

describe('unreachable', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const connection = (host: string, contextName?: string): Connection => ({
    url: `http://${host}:8080`,
    scheme: 'http',
    host,
    port: 8080,
    insecure: false,
    contextName,
    configPath: '/nowhere/config.json',
  });

  it('suggests starting a gateway only when the CLI looks for one on this machine', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      expect(unreachable(connection(host), refused).message).toContain('"dispatch gateway start"');
    }
    const remote = unreachable(connection('dispatch.example.com', 'prod'), refused);
    expect(remote.code).toBe(503);
    expect(remote.message).toContain('cannot reach the Dispatch gateway at http://dispatch.example.com:8080 (ECONNREFUSED)');
    expect(remote.message).not.toContain('gateway start');
    expect(remote.message).toContain('dispatch context list');
  });
});

describe('fitStatus', () => {
  it('keeps the spinner line within the terminal, whatever the action', () => {
    const action = 'Waiting for function "a-rather-long-function-name" to be READY';
    const line = 'npm notice '.repeat(20);
    for (const columns of [40, 80, 200]) {
      const status = fitStatus(line, action, columns);
      expect(`${action}... x ${status}`.length).toBeLessThanOrEqual(Math.max(columns, action.length + 16));
    }
    expect(fitStatus('short\nline', action, 200)).toBe('short line');
  });
});

describe('closestCommand', () => {
  const ids = ['exec', 'get:function', 'get:image', 'create:function', 'logs'];
  it('finds the command a typo meant, keeping the words after it', () => {
    expect(closestCommand('exce:hello', ids)).toEqual({ command: 'exec', rest: ['hello'] });
    expect(closestCommand('get:functoin', ids)).toEqual({ command: 'get:function', rest: [] });
    expect(closestCommand('frobnicate', ids)).toBeUndefined();
  });
});
