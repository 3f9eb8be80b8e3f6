import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireChromium } from '@dispatch/driver-testkit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFilesDir } from '../src/console/console-files.js';
import { screenshot, startConsoleSession, type ConsoleSession } from './console/browser-session.js';
import { HELLO_JS, sourceOf } from './harness.js';

const TOKEN = 'console-overview-hmac-test-token';
const SIGNING_KEY = 'console-signing-key';
const built = existsSync(join(consoleFilesDir() ?? '', 'index.html'));

// The console-browser test says how to build the console when it is missing; this one only skips then.
describe.skipIf(!built || !requireChromium())('the console: schedules on the overview, a schedule’s runs, hmac endpoints', () => {
  let session: ConsoleSession;
  beforeAll(async () => {
    session = await startConsoleSession(TOKEN);
    const { dispatch } = session.gateway;
    await dispatch.secrets.create({ name: 'signing-keys', secrets: { current: SIGNING_KEY } });
    await dispatch.functions.create({ name: 'hello', image: 'nodejs', source: await sourceOf(HELLO_JS) });
    await dispatch.functions.waitUntilReady('hello', { timeoutMs: 90_000 });
  }, 120_000);
  afterAll(() => session?.close());

  it('lists schedules on the overview with their next run, and follows changes made elsewhere without a reload', async () => {
    const { dispatch } = session.gateway;
    const { page, problems } = await session.openSignedIn('/overview');
    const section = page.getByRole('region', { name: /^Schedules/ });
    await section.getByText('No schedules yet.').waitFor();

    // Created through the API, not the page: the overview shows it on its next read.
    const created = await dispatch.schedules.create({ name: 'hourly', function: 'hello', cron: '0 * * * *', timezone: 'UTC' });
    const row = section.locator('tr[data-name="hourly"]');
    await row.waitFor({ timeout: 10_000 });
    await expect(row.locator('.status').first().textContent()).resolves.toBe('READY');
    await expect(row.locator('code').textContent()).resolves.toBe('0 * * * *');
    await expect(row.locator('time').getAttribute('datetime')).resolves.toBe(new Date(created.nextRuns![0]! * 1000).toISOString());
    await expect(section.getByRole('heading').textContent()).resolves.toContain('(1)');

    await dispatch.schedules.update('hourly', { enabled: false });
    await row.getByText('disabled').waitFor({ timeout: 10_000 });
    expect(await row.locator('time').count()).toBe(0);
    await screenshot(page, 'overview-schedules');

    // The name leads to the runs the schedule started.
    await row.getByRole('link', { name: 'hourly' }).click();
    await page.getByRole('heading', { name: 'Runs started by the schedule hourly' }).waitFor();
    await page.getByText('No runs started by hourly yet.').waitFor();
    await dispatch.schedules.delete('hourly');
    expect(problems).toEqual([]);
  }, 60_000);

  it('links a schedule to the runs it started, apart from the function’s other runs', async () => {
    const { dispatch } = session.gateway;
    const byHand = await dispatch.runs.execute('hello', { name: 'hand' });
    await dispatch.schedules.create({ name: 'ticker', function: 'hello', cron: '* * * * * *', input: { name: 'tick' } });
    try {
      const { page, problems } = await session.openSignedIn('/schedules');
      await page.getByRole('link', { name: 'Runs of ticker' }).click();
      await page.getByRole('heading', { name: 'Runs started by the schedule ticker' }).waitFor();
      const rows = page.locator('section[aria-labelledby="runs-title"] tbody tr');
      // The list is read again every 5 s: ticks keep arriving.
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      const shown = await rows.locator('th').allTextContents();
      const started = await dispatch.runs.list({ schedule: 'ticker', limit: 1000 });
      expect(shown.every((id) => started.some((run) => run.id.startsWith(id)))).toBe(true);
      expect(shown).not.toContain(byHand.id.slice(0, 8));
      // Each row shows the tick its run is for.
      const first = started.find((run) => run.id.startsWith(shown[0]!));
      await expect(rows.first().locator('time').getAttribute('datetime')).resolves.toBe(
        new Date(first!.scheduledTime! * 1000).toISOString(),
      );

      await page.getByRole('link', { name: 'All runs of hello' }).click();
      await page.getByRole('heading', { name: 'Recent runs' }).waitFor();
      await page.getByRole('button', { name: byHand.id.slice(0, 8) }).waitFor();
      await screenshot(page, 'runs-all-after-schedule');
      expect(problems).toEqual([]);
    } finally {
      await dispatch.schedules.delete('ticker');
    }
  }, 60_000);

  it('creates an hmac endpoint from the console: signed requests run the function, unsigned ones are refused', async () => {
    const { gateway } = session;
    const { page, problems } = await session.openSignedIn('/endpoints?function=hello');
    await page.getByLabel('Name').fill('signed');
    await page.getByLabel('Path').fill('/signed');
    await page.getByLabel('Auth').selectOption('hmac');
    await page.getByText(/X-Dispatch-Signature: sha256=HMAC-SHA256\(key, timestamp\.body\)/).waitFor();
    await page.getByLabel('Secret with the signing keys').selectOption('signing-keys');
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    const item = page.locator('li[data-name="signed"]');
    await item.getByText(/auth hmac/).waitFor();
    const curl = await item.locator('.curl').textContent();
    expect(curl).toContain("-H 'X-Dispatch-Timestamp: <seconds>'");
    expect(curl).toContain("-H 'X-Dispatch-Signature: sha256=");
    expect(await gateway.dispatch.endpoints.get('signed')).toMatchObject({ auth: 'hmac', authSecret: 'signing-keys' });

    const body = JSON.stringify({ name: 'Signed' });
    const call = (headers: Record<string, string>) =>
      fetch(`${gateway.url}/signed`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await call({})).status).toBe(401);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac('sha256', SIGNING_KEY).update(`${timestamp}.${body}`).digest('hex')}`;
    expect((await call({ 'x-dispatch-timestamp': timestamp, 'x-dispatch-signature': 'sha256=00' })).status).toBe(401);
    const answer = await call({ 'x-dispatch-timestamp': timestamp, 'x-dispatch-signature': signature });
    expect(answer.status).toBe(200);
    await expect(answer.text()).resolves.toContain('Hello, Signed');
    await screenshot(page, 'endpoints-hmac');
    expect(problems).toEqual([]);
  }, 60_000);
});
