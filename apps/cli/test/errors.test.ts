import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './helpers/build.js';
import { runCli, runCliOk, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('errors: one [Code: NNN] line on stderr and a non-zero exit', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let home: string;
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    home = await mkdtemp(join(tmpdir(), 'dispatch-cli-errors-'));
    gateway = await startTestGateway({ home });
    cli = { cwd: home, env: { HOME: home, DISPATCH_PORT: String(gateway.port) }, inProcess: true };
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("reports an unknown function with the gateway's 404", async () => {
    for (const args of [
      ['get', 'function', 'nope'],
      ['exec', 'nope'],
      ['delete', 'function', 'nope'],
    ]) {
      const result = await runCli(args, cli);
      expect(result).toMatchObject({ code: 1, stdout: '', stderr: '[Code: 404] function "nope" not found\n' });
    }
  });

  it('reports an unknown context, naming the file and the known contexts', async () => {
    const config = join(home, 'config.json');
    const context = { host: '127.0.0.1', port: gateway.port, scheme: 'http' };
    await writeFile(config, JSON.stringify({ current: 'b', contexts: { b: context, a: context } }));
    const byFlag = await runCli(['get', 'function', '--config', config, '--context', 'x'], cli);
    expect(byFlag).toMatchObject({ code: 1, stderr: `[Code: 404] context "x" not found in ${config}; known: a, b\n` });
    const byEnv = await runCli(['get', 'function'], { ...cli, env: { ...cli.env, DISPATCH_CONFIG: config, DISPATCH_CONTEXT: 'y' } });
    expect(byEnv).toMatchObject({ code: 1, stderr: `[Code: 404] context "y" not found in ${config}; known: a, b\n` });
  });

  it('says which gateway it could not reach and how to start one', async () => {
    const port = await closedPort();
    const result = await runCli(['get', 'function', '--port', String(port)], cli);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toContain(`[Code: 503] cannot reach the Dispatch gateway at http://127.0.0.1:${port}`);
    expect(result.stderr).toContain('(ECONNREFUSED)');
    expect(result.stderr).toContain('"dispatch gateway start"');
  });

  it('prints the envelope of a failed run on stdout and its error on stderr', async () => {
    const source = join(home, 'fails.js');
    await writeFile(source, "module.exports = () => { throw new Error('the database is down'); };\n");
    await runCliOk(['create', 'function', 'fails', source, '--image', 'nodejs', '--wait'], cli);
    const result = await runCli(['exec', 'fails'], cli);
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout) as { context: { error: { type: string; message: string } }; payload: unknown };
    expect(envelope.context.error).toMatchObject({ type: 'FunctionError', message: expect.stringContaining('the database is down') });
    expect(envelope.payload).toBeNull();
    expect(result.stderr).toMatch(/^\[Code: 502\] .*the database is down.*\n$/);
  });

  it('fails --wait with the reason when a function ends in ERROR, and shows it in the STATUS column', async () => {
    const source = join(home, 'broken.py');
    await writeFile(source, 'import no_such_module\n\ndef handle(ctx, payload):\n    return payload\n');
    const result = await runCli(['create', 'function', 'broken', source, '--image', 'python3', '--wait'], cli);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('Created function: broken\n');
    expect(result.stderr).toMatch(/^\[Code: 502\] function "broken" is ERROR: .*ModuleNotFoundError.*no_such_module.*\n$/);
    const table = await runCliOk(['get', 'function', 'broken'], cli);
    expect(table.split('\n')[2]).toMatch(/\| ERROR: .*ModuleNotFoundError/);
  });

  it('reports a malformed command line in its own words, one line per problem, with a pointer to --help', async () => {
    const help = 'See "dispatch create function --help".';
    const missing = await runCli(['create', 'function'], cli);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr.split('\n')).toEqual([
      '[Code: 400] argument NAME is required (the function name)',
      "[Code: 400] argument PATH is required (the function's file or folder)",
      help,
      '',
    ]);
    const noImage = await runCli(['create', 'function', 'hello', 'hello.js'], cli);
    expect(noImage).toMatchObject({ code: 2, stderr: `[Code: 400] --image is required\n${help}\n` });
    const notANumber = await runCli(['create', 'function', 'hello', 'hello.js', '--image', 'nodejs', '--timeout', 'soon'], cli);
    expect(notANumber.stderr).toMatch(/^\[Code: 400\] --timeout must be an integer \(got "soon"\)\n/);
    const extra = await runCli(['exec', 'a', 'b', 'c', '--bogus', '-o', 'xml'], cli);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(
      /^\[Code: 400\] (unknown flag --bogus|unexpected argument "b"|--output must be one of json, yaml \(got "xml"\))\n/,
    );
    for (const output of [missing, noImage, notANumber, extra]) expect(output.stderr).not.toMatch(/Missing|Expected|Nonexistent|following/);
  });

  it('suggests the command that was meant', async () => {
    const typo = await runCli(['exce', 'hello'], cli);
    expect(typo).toMatchObject({
      code: 2,
      stdout: '',
      stderr: '[Code: 404] command "exce hello" not found; did you mean "dispatch exec hello"?\n',
    });
    const unknown = await runCli(['get', 'functoin'], cli);
    expect(unknown.stderr).toBe('[Code: 404] command "get functoin" not found; did you mean "dispatch get function"?\n');
    const far = await runCli(['frobnicate', 'everything'], cli);
    expect(far.stderr).toBe('[Code: 404] command "frobnicate everything" not found; see "dispatch --help"\n');
  });

  it("suggests the function that was meant, from the gateway's list", async () => {
    const source = join(home, 'greeter.js');
    await writeFile(source, 'module.exports = () => "hi";\n');
    await runCliOk(['create', 'function', 'greeter', source, '--image', 'nodejs'], cli);
    for (const args of [
      ['exec', 'greter'],
      ['get', 'function', 'greeterr'],
      ['logs', 'greter'],
    ]) {
      const result = await runCli(args, cli);
      expect(result).toMatchObject({ code: 1, stderr: `[Code: 404] function "${args.at(-1)}" not found; did you mean "greeter"?\n` });
    }
  });

  it('answers 400 for every local file that does not exist: source, schema, secret, manifest, dependencies', async () => {
    const nowhere = join(home, 'nowhere');
    const cases: [string[], string][] = [
      [['create', 'function', 'f', `${nowhere}.js`, '--image', 'nodejs'], `source "${nowhere}.js" does not exist`],
      [
        ['create', 'function', 'f', join(home, 'greeter.js'), '--image', 'nodejs', '--schema-in', `${nowhere}.json`],
        `input schema "${nowhere}.json" does not exist`,
      ],
      [['create', 'secret', 's', `${nowhere}.json`], `secret file "${nowhere}.json" does not exist`],
      [['apply', '-f', `${nowhere}.yaml`], `manifest "${nowhere}.yaml" does not exist`],
      [['create', 'image', 'i', 'nodejs', '--runtime-deps', `${nowhere}.txt`], `runtime dependencies "${nowhere}.txt" does not exist`],
      [['get', 'function', '--config', `${nowhere}.conf`], `config file "${nowhere}.conf" does not exist`],
    ];
    for (const [args, message] of cases) {
      expect(await runCli(args, cli), args.join(' ')).toMatchObject({ code: 1, stderr: `[Code: 400] ${message}\n` });
    }
  });

  it('sends the context token as a bearer token, and reports a missing or refused one', async () => {
    const guarded = await startTestGateway({ seedDefaults: false, token: 's3cret' });
    try {
      const env = { ...cli.env, DISPATCH_PORT: String(guarded.port) };
      const refused = await runCli(['get', 'function'], { ...cli, env });
      expect(refused).toMatchObject({
        code: 1,
        stderr:
          '[Code: 401] the admin API requires an Authorization: Bearer <token> header; give it with --token or DISPATCH_TOKEN, or in the context\n',
      });
      const config = join(home, 'token.json');
      await writeFile(
        config,
        JSON.stringify({ current: 'g', contexts: { g: { host: '127.0.0.1', port: guarded.port, scheme: 'http', token: 's3cret' } } }),
      );
      // DISPATCH_PORT would override the context's port: the context alone says where to go here.
      expect(await runCliOk(['get', 'function', '-o', 'json', '--config', config], { cwd: home, env: { HOME: home } })).toBe('[]\n');
      const wrong = await runCli(['get', 'function', '--token', 'nope'], { ...cli, env });
      expect(wrong).toMatchObject({ code: 1, stderr: '[Code: 401] the bearer token is not valid for this gateway\n' });
    } finally {
      await guarded.close();
    }
  });
});
