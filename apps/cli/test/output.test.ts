import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, ensureCliBuilt } from './helpers/build.js';
import { runCli, runCliOk, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const header = (table: string) => (table.split('\n')[0] ?? '').split('|').map((cell) => cell.trim());

describe('output: tables, -o json, -o yaml, messages', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let home: string;
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    gateway = await startTestGateway();
    home = await mkdtemp(join(tmpdir(), 'dispatch-cli-output-'));
    cli = { cwd: REPO_DIR, env: { HOME: home, DISPATCH_PORT: String(gateway.port), DISPATCH_TOKEN: gateway.token }, inProcess: true };
    await writeFile(join(home, 'place.json'), '{"place": "Palo Alto"}');
    await runCliOk(['create', 'secret', 'place', join(home, 'place.json')], cli);
    await runCliOk(['create', 'function', 'hello', './examples/python3/hello.py', '--image', 'python3', '--wait'], cli);
    await runCliOk(['create', 'endpoint', 'get-hello', 'hello', '-m', 'GET', '-p', '/hello', '-d', 'example.test'], cli);
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("prints the seed's table columns for every kind", async () => {
    const expected: Record<string, string[]> = {
      'base-image': ['NAME', 'LANGUAGE', 'URL', 'STATUS', 'CREATED DATE'],
      image: ['NAME', 'DESTINATION', 'BASEIMAGE', 'STATUS', 'CREATED DATE'],
      // The local backend builds no function image: the column it would leave empty is left out.
      function: ['NAME', 'STATUS', 'CREATED DATE'],
      secret: ['NAME', 'CONTENT'],
      endpoint: ['NAME', 'FUNCTION', 'PROTOCOL', 'METHOD', 'DOMAIN', 'PATH', 'ENABLED'],
      run: ['ID', 'FUNCTION', 'STATUS', 'STARTED', 'FINISHED'],
    };
    for (const [kind, columns] of Object.entries(expected)) {
      const table = await runCliOk(['get', kind], cli);
      expect(header(table), kind).toEqual(columns);
      expect(table.split('\n')[1], kind).toMatch(/^-+$/);
    }
    expect(await runCliOk(['get', 'functions'], cli)).toMatch(/\n hello +\| READY +\| \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d .+ \d{4}\n$/);
    expect(await runCliOk(['get', 'secret'], cli)).toMatch(/\n place \| <hidden>\n$/);
    expect(await runCliOk(['get', 'secret', 'place', '--reveal'], cli)).toMatch(/\n place \| place=Palo Alto\n$/);
    expect(await runCliOk(['get', 'endpoints'], cli)).toMatch(
      /\n get-hello \| hello +\| http,https \| GET +\| example.test \| \/hello \| true\n$/,
    );
  });

  it('prints one object for a single get and an array for a list, indented by 4 spaces', async () => {
    const one = await runCliOk(['get', 'function', 'hello', '-o', 'json'], cli);
    expect(one.startsWith('{\n    "name": "hello",')).toBe(true);
    expect(JSON.parse(one)).toMatchObject({ name: 'hello', image: 'python3', status: 'READY' });
    const list = JSON.parse(await runCliOk(['get', 'images', '-o', 'json'], cli)) as { name: string }[];
    expect(list.map((image) => image.name).sort()).toEqual(['nodejs', 'python3']);
  });

  it('prints yaml that parses to the same data as the json', async () => {
    for (const args of [
      ['get', 'function', 'hello'],
      ['get', 'base-images'],
      ['get', 'endpoint', 'get-hello'],
    ]) {
      const json: unknown = JSON.parse(await runCliOk([...args, '-o', 'json'], cli));
      expect(parseYaml(await runCliOk([...args, '-o', 'yaml'], cli))).toEqual(json);
    }
  });

  it('runs asynchronously and shows the run, its logs and the versions', async () => {
    const id = (await runCliOk(['exec', 'hello', '--async'], { ...cli, input: '{"name": "later"}' })).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    let run: { status: string; output?: unknown } = { status: '' };
    for (let attempt = 0; attempt < 50 && run.status !== 'READY'; attempt += 1) {
      run = JSON.parse(await runCliOk(['get', 'run', id, '-o', 'json'], cli)) as typeof run;
      if (run.status !== 'READY') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(run.output).toEqual({ myField: 'Hello, later from Nowhere' });
    expect(await runCliOk(['logs', 'hello', '--tail', '1'], cli)).toBe('messages to stdout show up in logs\n');
    expect(await runCliOk(['version'], cli)).toMatch(/^Client: \d+\.\d+\.\d+\nServer: \d+\.\d+\.\d+ \(backend: local\)\n$/);
    expect(JSON.parse(await runCliOk(['version', '-o', 'json'], cli))).toMatchObject({ server: { backend: 'local' } });
  });

  it('prints Updated and Deleted lines, and the updated entity with -o json', async () => {
    await writeFile(join(home, 'temp.json'), '{"k": "v"}');
    expect(await runCliOk(['create', 'secret', 'temp', join(home, 'temp.json')], cli)).toBe('Created secret: temp\n');
    expect(await runCliOk(['update', 'secret', 'temp', join(home, 'temp.json')], cli)).toBe('Updated secret: temp\n');
    expect(await runCliOk(['delete', 'secret', 'temp'], cli)).toBe('Deleted secret: temp\n');
    const updated = JSON.parse(await runCliOk(['update', 'function', 'hello', '--timeout', '5000', '--wait', '-o', 'json'], cli));
    expect(updated).toMatchObject({ name: 'hello', timeout: 5000, status: 'READY' });
  });

  it('answers --help for every kind of command', async () => {
    for (const args of [
      [],
      ['get'],
      ['create', 'function'],
      ['create', 'endpoint'],
      ['apply'],
      ['exec'],
      ['context', 'add'],
      ['gateway', 'start'],
    ]) {
      const result = await runCli([...args, '--help'], { ...cli, inProcess: false });
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toContain(`$ dispatch ${args.join(' ')}`.trim());
    }
  });

  it('answers --version with the client version', async () => {
    expect(await runCliOk(['--version'], { ...cli, inProcess: false })).toMatch(/^@dispatch\/cli\/\d+\.\d+\.\d+ /);
  });
});
