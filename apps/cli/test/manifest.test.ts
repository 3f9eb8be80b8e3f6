import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, ensureCliBuilt } from './helpers/build.js';
import { runCli, runCliOk, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const HELLO_YAML = join(REPO_DIR, 'examples/hello.yaml');
const KINDS = ['base-image', 'image', 'secret', 'function', 'endpoint'];

describe('manifests: apply -f, create -f, delete -f', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let home: string;
  let cli: CliOptions;

  const names = async (kind: string): Promise<string[]> =>
    (JSON.parse(await runCliOk(['get', kind, '-o', 'json'], cli)) as { name: string }[]).map((entity) => entity.name);

  beforeAll(async () => {
    await ensureCliBuilt();
    home = await mkdtemp(join(tmpdir(), 'dispatch-cli-manifest-'));
    gateway = await startTestGateway({ seedDefaults: false, home });
    cli = { cwd: REPO_DIR, env: { HOME: home, DISPATCH_PORT: String(gateway.port) }, inProcess: true };
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('applies examples/hello.yaml twice (creating, then updating) and delete -f removes all of it', async () => {
    const first = await runCliOk(['apply', '-f', HELLO_YAML, '--wait'], cli);
    expect(first.trim().split('\n')).toEqual([
      'Created base-image: hello-python3-base',
      'Created image: hello-python3',
      'Created secret: hello-place',
      'Created function: hello-manifest',
      'Created endpoint: hello-manifest',
    ]);
    const second = await runCliOk(['apply', '-f', HELLO_YAML, '--wait'], cli);
    expect(second.trim().split('\n')).toEqual(
      first
        .trim()
        .split('\n')
        .map((line) => line.replace('Created', 'Updated')),
    );

    const exec = JSON.parse(await runCliOk(['exec', 'hello-manifest', '--input', '{"name": "user"}'], cli)) as { payload: unknown };
    expect(exec.payload).toEqual({ myField: 'Hello, user from Palo Alto' });

    const deleted = await runCliOk(['delete', '-f', HELLO_YAML], cli);
    expect(deleted.trim().split('\n')).toEqual([
      'Deleted endpoint: hello-manifest',
      'Deleted function: hello-manifest',
      'Deleted secret: hello-place',
      'Deleted image: hello-python3',
      'Deleted base-image: hello-python3-base',
    ]);
    for (const kind of KINDS) expect(await names(kind)).toEqual([]);

    // What is already gone is fine, and said.
    const again = await runCli(['delete', '-f', HELLO_YAML], cli);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout.trim().split('\n')).toEqual([
      'Skipped endpoint: hello-manifest (not found)',
      'Skipped function: hello-manifest (not found)',
      'Skipped secret: hello-place (not found)',
      'Skipped image: hello-python3 (not found)',
      'Skipped base-image: hello-python3-base (not found)',
    ]);
  });

  it("inlines '@file' values relative to -w DIR and refuses to create what exists", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-cli-workdir-'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/hello.js'), 'module.exports = (context, payload) => ({ hi: payload.name });\n');
    await writeFile(join(dir, 'in.json'), '{"type": "object", "required": ["name"]}');
    const manifest = join(dir, 'manifests/app.yaml');
    await mkdir(join(dir, 'manifests'));
    await writeFile(
      manifest,
      [
        'kind: Function',
        'name: inline-js',
        'image: js',
        'sourcePath: src/hello.js',
        "schema: {in: '@in.json'}",
        '---',
        'kind: BaseImage',
        'name: js-base',
        'imageURL: dispatch/nodejs-base',
        'language: nodejs',
        '---',
        'kind: Image',
        'name: js',
        'baseImage: js-base',
        '',
      ].join('\n'),
    );
    const created = await runCliOk(['create', '-f', manifest, '-w', dir, '--wait', '-o', 'json'], cli);
    const entities = JSON.parse(created) as { name: string; status: string; schema?: unknown }[];
    expect(entities.map((entity) => [entity.name, entity.status])).toEqual([
      ['js-base', 'READY'],
      ['js', 'READY'],
      ['inline-js', 'READY'],
    ]);
    expect(entities[2]?.schema).toEqual({ in: { type: 'object', required: ['name'] } });

    const duplicate = await runCli(['create', '-f', manifest, '-w', dir], cli);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toBe('[Code: 409] base image "js-base" already exists\n');

    await runCliOk(['delete', '-f', manifest], cli);
    await rm(dir, { recursive: true, force: true });
  });

  describe('a malformed manifest applies nothing', () => {
    const write = async (text: string) => {
      const path = join(home, `bad-${Math.random().toString(36).slice(2)}.yaml`);
      await writeFile(path, text);
      return path;
    };
    const secretFirst = 'kind: Secret\nname: should-not-exist\nsecrets: {a: b}\n---\n';

    it('names the document and the kind when a kind is unknown', async () => {
      const path = await write(`${secretFirst}kind: Lambda\nname: x\n`);
      const result = await runCli(['apply', '-f', path], cli);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toBe(
        `[Code: 400] ${path}: document 2: unknown kind "Lambda" (expected one of BaseImage, Image, Function, Secret, Endpoint, Schedule)\n`,
      );
      expect(await names('secret')).toEqual([]);
    });

    it('names the document whose YAML does not parse, with the excerpt around the mistake', async () => {
      const path = await write(`${secretFirst}kind: Function\nname: hello\n  image: nodejs\n`);
      const result = await runCli(['apply', '-f', path], cli);
      expect(result.code).not.toBe(0);
      const lines = result.stderr.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^\\[Code: 400\\] ${path}: document 2: .+ at line 6, column \\d+:$`));
      // The excerpt: the offending line, and a caret under the mistake.
      expect(lines).toContain('name: hello');
      expect(lines.some((line) => /^\s*\^+$/.test(line))).toBe(true);
      expect(await names('secret')).toEqual([]);
    });

    it('names a field the kind does not have instead of a missing one', async () => {
      const path = await write(`${secretFirst}kind: Function\nname: f\nimage: nodejs\nsource_path: hello.js\ntimeout: soon\n`);
      const result = await runCli(['apply', '-f', path], cli);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(
        new RegExp(
          `^\\[Code: 400\\] ${path}: document 2: Function "f": unknown field "source_path" \\(known: name, tags, image, source, .*sourcePath\\); timeout must be a number\\n$`,
        ),
      );
      expect(await names('secret')).toEqual([]);
    });

    it('names the document whose sourcePath does not exist', async () => {
      const path = await write(`${secretFirst}kind: Function\nname: f\nimage: python3\nsourcePath: nowhere.py\n`);
      const result = await runCli(['apply', '-f', path], cli);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(new RegExp(`^\\[Code: 400\\] ${path}: document 2: source ".*nowhere.py" does not exist\\n$`));
      expect(await names('secret')).toEqual([]);
    });
  });
});
