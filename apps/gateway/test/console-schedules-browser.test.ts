import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireChromium } from '@dispatch/driver-testkit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFilesDir } from '../src/console/console-files.js';
import { screenshot, startConsoleSession, type ConsoleSession } from './console/browser-session.js';
import { HELLO_PY, sourceOf } from './harness.js';

const TOKEN = 'console-schedules-test-token';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:uploads';
const built = existsSync(join(consoleFilesDir() ?? '', 'index.html'));
/** Chromium reports every non-2xx fetch on the console; the refusals this file provokes on purpose are left out. */
const unexpected = (problems: string[]) => problems.filter((problem) => !/status of 400/.test(problem));

// The console-browser test says how to build the console when it is missing; this one only skips then.
describe.skipIf(!built || !requireChromium())('the console schedules page and the sns and apiKey endpoint options', () => {
  let session: ConsoleSession;
  beforeAll(async () => {
    session = await startConsoleSession(TOKEN);
    const { dispatch } = session.gateway;
    await dispatch.secrets.create({ name: 'api-keys', secrets: { eventbridge: 'k3y' } });
    await dispatch.functions.create({ name: 'hello', image: 'python3', source: await sourceOf(HELLO_PY) });
    await dispatch.functions.waitUntilReady('hello', { timeoutMs: 90_000 });
  }, 120_000);
  afterAll(() => session?.close());

  it('creates a schedule, lists its next runs, disables and enables it and deletes it', async () => {
    const { dispatch } = session.gateway;
    const { page, problems } = await session.openSignedIn('/schedules');
    await page.getByText('No schedules yet').waitFor();
    await page.getByLabel('Function').selectOption('hello');
    await page.getByLabel('Name').fill('nightly');
    await page.getByLabel('Cron', { exact: true }).fill('30 2 * * *');
    await page.getByLabel('Input (JSON)').fill('{"name": "Cron"}');
    // A refusal of the gateway is shown with its reason, and nothing is created.
    await page.getByLabel('Time zone').fill('Europe/Atlantis');
    await page.getByRole('button', { name: 'Create the schedule' }).click();
    await page
      .getByRole('alert')
      .getByText(/unknown time zone "Europe\/Atlantis"/)
      .waitFor();
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Create the schedule' }).click();
    await page.getByText('Schedule nightly created.').waitFor();

    const row = page.locator('tr[data-name="nightly"]');
    await row.getByText('Europe/Berlin').waitFor();
    const stored = await dispatch.schedules.get('nightly');
    expect(stored).toMatchObject({
      function: 'hello',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      input: { name: 'Cron' },
      enabled: true,
    });
    // The row shows the gateway's next runs, tick for tick.
    const shown = await row.locator('time').evaluateAll((times) => times.map((time) => time.getAttribute('datetime')));
    expect(shown).toEqual(stored.nextRuns?.map((tick) => new Date(tick * 1000).toISOString()));
    expect(shown).toHaveLength(3);
    await screenshot(page, 'schedules');

    await row.getByRole('button', { name: 'Disable nightly' }).click();
    await row.getByText('disabled').waitFor();
    expect(await dispatch.schedules.get('nightly')).toMatchObject({ enabled: false, nextRuns: [] });
    await row.getByRole('button', { name: 'Enable nightly' }).click();
    await row.locator('time').first().waitFor();
    expect((await dispatch.schedules.get('nightly')).enabled).toBe(true);

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete nightly' }).click();
    await page.getByText('No schedules yet').waitFor();
    expect(await dispatch.schedules.list()).toEqual([]);
    expect(unexpected(problems)).toEqual([]);
  }, 60_000);

  it('creates an sns endpoint and an apiKey endpoint from the console; the key is checked in the header named', async () => {
    const { gateway } = session;
    const { page, problems } = await session.openSignedIn('/endpoints?function=hello');
    await page.getByLabel('Name').fill('uploads');
    await page.getByLabel('Path').fill('/sns');
    await page.getByLabel('Trigger').selectOption('sns');
    await page.getByLabel('SNS topic ARNs').fill(TOPIC_ARN);
    await page.getByRole('checkbox', { name: 'GET' }).uncheck();
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    await page
      .locator('li[data-name="uploads"]')
      .getByText(/^SNS · POST/)
      .waitFor();
    expect(await gateway.dispatch.endpoints.get('uploads')).toMatchObject({
      trigger: 'sns',
      methods: ['POST'],
      triggerSettings: { topicArns: [TOPIC_ARN] },
    });

    await page.getByLabel('Name').fill('keyed');
    await page.getByLabel('Path').fill('/keyed');
    await page.getByLabel('Trigger').selectOption('http');
    await page.getByLabel('Auth').selectOption('apiKey');
    await expect(page.getByLabel('API key header').inputValue()).resolves.toBe('x-api-key');
    await page.getByLabel('API key header').fill('X-Dispatch-Key');
    await page.getByLabel('Secret with the accepted API keys').selectOption('api-keys');
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    const keyed = page.locator('li[data-name="keyed"]');
    await expect(keyed.locator('.curl').textContent()).resolves.toContain("-H 'x-dispatch-key: <key>'");
    expect(await gateway.dispatch.endpoints.get('keyed')).toMatchObject({
      auth: 'apiKey',
      authHeader: 'x-dispatch-key',
      authSecret: 'api-keys',
    });

    const call = (headers: Record<string, string>) => fetch(`${gateway.url}/keyed`, { method: 'POST', headers, body: '{}' });
    expect((await call({ 'content-type': 'application/json' })).status).toBe(401);
    const answer = await call({ 'content-type': 'application/json', 'x-dispatch-key': 'k3y' });
    expect(answer.status).toBe(200);
    await expect(answer.text()).resolves.toContain('Hello');
    await screenshot(page, 'endpoints-sns-api-key');
    expect(problems).toEqual([]);
  }, 60_000);
});
