import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionNameFor, loadServicesJson } from '../src/lib/services-json.js';
import { REPO_DIR, ensureCliBuilt } from './helpers/build.js';
import { runCli, runCliOk, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const SKILL_YAML = join(REPO_DIR, 'examples/alexa-skill/dispatch.yaml');
const PUSH_YAML = join(REPO_DIR, 'examples/github-push-logger/dispatch.yaml');
const APP_ID = 'amzn1.ask.skill.00000000-0000-0000-0000-000000000000';

describe("funker-dispatch's services.json", () => {
  let dir: string;
  const write = async (name: string, value: unknown) => {
    const file = join(dir, name);
    await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dispatch-services-json-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('turns service names into function names', () => {
    expect(functionNameFor('HelloIntent')).toBe('hellointent');
    expect(functionNameFor('Captains_Intent')).toBe('captains-intent');
    expect(functionNameFor('--Odd  Name--')).toBe('odd-name');
  });

  it('becomes funker functions, one alexa endpoint with an intents map and a github endpoint per service', async () => {
    const file = await write('services.json', {
      version: '1.0',
      services: [
        { type: 'alexa', provider: 'amazon', service: 'HelloIntent', image: 'alexellis2/helloworldintent-funker:latest' },
        { type: 'alexa', provider: 'amazon', service: 'HostnameIntent', image: 'alexellis2/hostname-funker:latest' },
        { type: 'github', provider: 'github', service: 'PushLogger', image: 'example/push-logger-funker:1' },
      ],
    });
    const documents = await loadServicesJson(file, { applicationIds: [APP_ID], webhookSecret: 'github-webhook' });
    expect(documents?.map(({ kind, body }) => ({ kind, body }))).toEqual([
      { kind: 'function', body: { name: 'hellointent', image: 'alexellis2/helloworldintent-funker:latest', protocol: 'funker' } },
      { kind: 'function', body: { name: 'hostnameintent', image: 'alexellis2/hostname-funker:latest', protocol: 'funker' } },
      { kind: 'function', body: { name: 'pushlogger', image: 'example/push-logger-funker:1', protocol: 'funker' } },
      {
        kind: 'endpoint',
        body: {
          name: 'alexa',
          trigger: 'alexa',
          methods: ['POST'],
          uris: ['/'],
          triggerSettings: { applicationIds: [APP_ID], intents: { HelloIntent: 'hellointent', HostnameIntent: 'hostnameintent' } },
        },
      },
      {
        kind: 'endpoint',
        body: {
          name: 'github-pushlogger',
          function: 'pushlogger',
          trigger: 'github',
          methods: ['POST'],
          uris: ['/github/pushlogger'],
          authSecret: 'github-webhook',
          triggerSettings: { events: ['push'] },
        },
      },
    ]);
  });

  it('is not taken for another JSON file, and names what is wrong in one', async () => {
    expect(await loadServicesJson(await write('other.json', { kind: 'Function', name: 'x' }))).toBeUndefined();
    expect(await loadServicesJson(await write('hello.yaml', 'services: []'))).toBeUndefined();
    await expect(
      loadServicesJson(await write('bad.json', { version: '1.0', services: [{ type: 'sms', service: 'X', image: 'y' }] })),
    ).rejects.toThrow(/services\[0\]: type must be "alexa" or "github"/);
    const alexa = await write('alexa.json', { version: '1.0', services: [{ type: 'alexa', service: 'HelloIntent', image: 'y' }] });
    await expect(loadServicesJson(alexa)).rejects.toThrow(/give your skill's id with --application-id/);
    // delete -f needs only the names.
    expect((await loadServicesJson(alexa, { bodies: false }))?.map((d) => `${d.kind}/${d.name}`)).toEqual([
      'function/hellointent',
      'endpoint/alexa',
    ]);
  });
});

describe('manifests with trigger endpoints', { timeout: 180_000 }, () => {
  let gateway: TestGateway;
  let home: string;
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    home = await mkdtemp(join(tmpdir(), 'dispatch-cli-triggers-'));
    gateway = await startTestGateway({ home });
    cli = { cwd: REPO_DIR, env: { HOME: home, DISPATCH_PORT: String(gateway.port) }, inProcess: true };
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('applies the example Alexa skill (functions and an alexa endpoint), then deletes it', async () => {
    const out = await runCliOk(['apply', '-f', SKILL_YAML, '--wait'], cli);
    expect(out.trim().split('\n')).toEqual([
      'Created function: hello-intent',
      'Created function: hostname-intent',
      'Created function: launch',
      'Created endpoint: alexa-skill',
    ]);
    const endpoint = JSON.parse(await runCliOk(['get', 'endpoint', 'alexa-skill', '-o', 'json'], cli)) as Record<string, unknown>;
    expect(endpoint).toMatchObject({
      trigger: 'alexa',
      uris: ['/'],
      triggerSettings: {
        applicationIds: [APP_ID],
        intents: { HelloIntent: 'hello-intent', HostnameIntent: 'hostname-intent' },
        launch: 'launch',
      },
    });
    // A function an endpoint routes to cannot be deleted from under it.
    const refused = await runCli(['delete', 'function', 'launch'], cli);
    expect(refused.stderr).toMatch(/^\[Code: 409\] .*endpoint "alexa-skill"/);
    expect((await runCliOk(['delete', '-f', SKILL_YAML], cli)).trim().split('\n')).toEqual([
      'Deleted endpoint: alexa-skill',
      'Deleted function: launch',
      'Deleted function: hostname-intent',
      'Deleted function: hello-intent',
    ]);
  });

  it('applies the GitHub push logger manifest, and creates trigger endpoints with flags', async () => {
    const secretFile = join(home, 'webhook-secret.json');
    await writeFile(secretFile, JSON.stringify({ current: 'a-webhook-secret' }));
    await runCliOk(['create', 'secret', 'github-webhook', secretFile], cli);
    expect((await runCliOk(['apply', '-f', PUSH_YAML, '--wait'], cli)).trim().split('\n')).toEqual([
      'Created function: push-logger',
      'Created endpoint: github-push-logger',
    ]);
    const hook = JSON.parse(await runCliOk(['get', 'endpoint', 'github-push-logger', '-o', 'json'], cli)) as Record<string, unknown>;
    expect(hook).toMatchObject({
      trigger: 'github',
      authSecret: 'github-webhook',
      methods: ['POST'],
      triggerSettings: { events: ['push'] },
    });

    await runCliOk(
      [
        'create',
        'endpoint',
        'skill',
        'push-logger',
        '--trigger',
        'alexa',
        '-p',
        '/alexa',
        '--application-id',
        APP_ID,
        '--intent',
        'PushIntent=push-logger',
        '--launch',
        'push-logger',
      ],
      cli,
    );
    const skill = JSON.parse(await runCliOk(['get', 'endpoint', 'skill', '-o', 'json'], cli)) as Record<string, unknown>;
    expect(skill).toMatchObject({
      trigger: 'alexa',
      methods: ['POST'],
      triggerSettings: { applicationIds: [APP_ID], intents: { PushIntent: 'push-logger' }, launch: 'push-logger' },
    });
    const bad = await runCli(['create', 'endpoint', 'bad', 'push-logger', '--intent', 'PushIntent'], cli);
    expect(bad.stderr).toMatch(/^\[Code: 400\] --intent PushIntent: write INTENT=FUNCTION/);

    await runCliOk(['delete', 'endpoint', 'skill'], cli);
    await runCliOk(['delete', '-f', PUSH_YAML], cli);
    await runCliOk(['delete', 'secret', 'github-webhook'], cli);
  });
});
