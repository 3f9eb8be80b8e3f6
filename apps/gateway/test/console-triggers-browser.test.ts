import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireChromium } from '@dispatch/driver-testkit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFilesDir } from '../src/console/console-files.js';
import { screenshot, startConsoleSession, type ConsoleSession } from './console/browser-session.js';
import { EXAMPLES, HELLO_PY, sourceOf } from './harness.js';

const TOKEN = 'console-triggers-test-token';
/** The applicationId of examples/alexa-skill, which the console's Alexa samples carry. */
const APPLICATION_ID = 'amzn1.ask.skill.00000000-0000-0000-0000-000000000000';
const built = existsSync(join(consoleFilesDir() ?? '', 'index.html'));

// The console-browser test says how to build the console when it is missing; this one only skips then.
describe.skipIf(!built || !requireChromium())('the console tester with Alexa and GitHub trigger endpoints', () => {
  let session: ConsoleSession;

  // A browser cannot sign an Alexa request (only Amazon can): this is the development set-up the tester is for.
  beforeAll(async () => (session = await startConsoleSession(TOKEN, { triggers: { alexa: { verify: false } } })));
  afterAll(() => session?.close());

  it('creates an alexa endpoint from the console, runs the HelloIntent sample through it and reads the speech', async () => {
    const { gateway } = session;
    const watched = await session.openSignedIn('/upload');
    const { page } = watched;
    await page.goto(`${gateway.url}/ui/#/upload`);
    await page.locator('#source-file').setInputFiles(join(EXAMPLES, 'alexa-skill/hello-intent.js'));
    await expect(page.getByLabel('Name').inputValue()).resolves.toBe('hello-intent');
    await page.getByLabel('Image').selectOption('nodejs');
    await page.getByRole('button', { name: 'Upload and deploy' }).click();
    await page
      .getByRole('heading', { name: /Progress/ })
      .getByText('READY')
      .waitFor({ timeout: 90_000 });

    await page.goto(`${gateway.url}/ui/#/endpoints?function=hello-intent`);
    await page.getByLabel('Name').fill('alexa-skill');
    await page.getByLabel('Path').fill('/alexa');
    await page.getByLabel('Trigger').selectOption('alexa');
    await page.getByLabel('Skill applicationIds').fill(APPLICATION_ID);
    await page.getByRole('checkbox', { name: 'GET' }).uncheck();
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    await page.locator('li[data-name="alexa-skill"]').waitFor();
    const endpoint = await gateway.dispatch.endpoints.get('alexa-skill');
    expect(endpoint).toMatchObject({
      trigger: 'alexa',
      methods: ['POST'],
      uris: ['/alexa'],
      triggerSettings: { applicationIds: [APPLICATION_ID] },
    });

    await page.goto(`${gateway.url}/ui/#/tester?endpoint=alexa-skill`);
    await page.getByRole('button', { name: 'Alexa: HelloIntent' }).click();
    await page.getByText(/Alexa request: unsigned/).waitFor();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('.speech').getByText("There's currently 6 people in space").waitFor();
    await screenshot(page, 'tester-alexa-hello-intent');

    const [run] = await gateway.dispatch.runs.list({ functionName: 'hello-intent', limit: 1 });
    expect((run?.input as { request?: { intent?: { name?: string } } }).request?.intent?.name).toBe('HelloIntent');
    expect(watched.problems).toEqual([]);
  }, 120_000);

  it('creates a github endpoint from the console and sends it a push signed in the page, then a ping', async () => {
    const { gateway } = session;
    const { dispatch } = gateway;
    // Two values: GitHub's webhook secret is being rotated, and the page signs with the one typed.
    await dispatch.secrets.create({ name: 'webhook', secrets: { old: 'old-secret', current: 's3cret' } });
    await dispatch.functions.create({ name: 'hello', image: 'python3', source: await sourceOf(HELLO_PY) });
    await dispatch.functions.waitUntilReady('hello', { timeoutMs: 90_000 });

    const watched = await session.openSignedIn('/endpoints?function=hello');
    const { page } = watched;
    await page.getByLabel('Name').fill('github-hook');
    await page.getByLabel('Path').fill('/github');
    await page.getByLabel('Trigger').selectOption('github');
    await page.getByLabel('Secret holding the webhook secret').selectOption('webhook');
    await page.getByRole('checkbox', { name: 'GET' }).uncheck();
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    await page.locator('li[data-name="github-hook"]').waitFor();
    expect(await dispatch.endpoints.get('github-hook')).toMatchObject({
      trigger: 'github',
      authSecret: 'webhook',
      triggerSettings: { events: ['push'] },
    });

    await page.goto(`${gateway.url}/ui/#/tester?endpoint=github-hook`);
    await page.getByRole('button', { name: 'GitHub: push' }).click();
    await page.getByText(/GitHub event push: unsigned/).waitFor();
    await page.getByLabel(/^Webhook secret value/).fill('s3cret');
    await page.getByText('GitHub event push: signed (X-Hub-Signature-256)').waitFor();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('heading', { name: 'Endpoint answer (HTTP 202)' }).waitFor();
    // The delivery was queued; the page follows the run to its end.
    await page.getByLabel('Output').getByText('Hello, Noone from Nowhere').waitFor();
    await page.getByText(/Raw HTTP exchange/).click();
    await expect(page.getByLabel('Raw request').textContent()).resolves.toMatch(/x-hub-signature-256: sha256=[0-9a-f]{64}/);
    await screenshot(page, 'tester-github-push');

    await page.getByRole('button', { name: 'GitHub: ping' }).click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('heading', { name: 'Endpoint answer (HTTP 200)' }).waitFor();
    await page.getByLabel('Endpoint answer').getByText('pong').waitFor();
    const runs = await dispatch.runs.list({ functionName: 'hello' });
    expect(runs).toHaveLength(1); // the ping ran nothing
    expect(watched.problems).toEqual([]);
  }, 120_000);
});
