import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { launchChromium, requireChromium } from '@dispatch/driver-testkit/browser';
import { pino } from 'pino';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFilesDir } from '../src/console/console-files.js';
import { startGateway, type RunningGateway } from '../src/start.js';
import { screenshot, watchedPage, type WatchedPage } from './console/browser-session.js';
import { HELLO_PY, STDOUT_LINE } from './harness.js';

const run = promisify(execFile);
const TOKEN = 'console-browser-test-token';
const built = existsSync(join(consoleFilesDir() ?? '', 'index.html'));
const chromium = requireChromium();
if (!built) {
  const how = 'build it with `npx nx run @dispatch/console:build`';
  if (process.env.CI === 'true') throw new Error(`the console browser tests need the built console: ${how}`);
  console.warn(`skipping the console browser tests: the console is not built; ${how}`);
}

describe.skipIf(!chromium || !built)('the web console in Chromium, against a gateway on the local backend', () => {
  let gateway: RunningGateway;
  let dataDir: string;
  let browser: BrowserContext;
  const pages: WatchedPage[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dispatch-console-browser-'));
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      backend: 'local',
      dataDir,
      token: TOKEN,
      logger: pino({ level: 'silent' }),
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<WatchedPage> {
    const watched = await watchedPage(browser);
    pages.push(watched);
    await watched.page.goto(`${gateway.url}${path}`);
    await watched.page.waitForSelector('html[data-ready="true"]');
    return watched;
  }

  /** A signed-in page, as `dispatch ui` opens it: the token in the fragment. */
  const openSignedIn = (route = '/') =>
    open(`/ui/#token=${encodeURIComponent(TOKEN)}`).then(async (watched) => {
      if (route !== '/') await watched.page.goto(`${gateway.url}/ui/#${route}`);
      return watched;
    });

  it('without a token shows the sign-in prompt and reads nothing', async () => {
    const watched = await open('/ui/');
    const { page, adminAnswers } = watched;
    await expect(page.getByLabel('Admin token').isVisible()).resolves.toBe(true);
    await screenshot(page, 'sign-in');
    expect(adminAnswers).toEqual([]);

    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The gateway refused that token').waitFor();
    expect(adminAnswers.length).toBeGreaterThan(0);
    expect(adminAnswers.filter((answer) => answer.status < 400)).toEqual([]);
    // Chromium logs the refused request itself; that one line is expected here, and nothing else.
    expect(watched.problems).toEqual(['console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    watched.problems.length = 0;
  });

  /** One first load in a browser of its own (nothing cached), as someone who never opened the console has it. */
  async function coldLoad(): Promise<{ bytes: number; interactiveMs: number; files: number }> {
    const cold = await launchChromium();
    try {
      const watched = await watchedPage(cold);
      pages.push(watched);
      const { page } = watched;
      await page.goto(`${gateway.url}/ui/#token=${encodeURIComponent(TOKEN)}`);
      await page.waitForSelector('html[data-ready="true"]');
      expect(page.url()).not.toContain(TOKEN);
      expect(await page.evaluate("sessionStorage.getItem('dispatch.token')")).toBe(TOKEN);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.waitForLoadState('networkidle');
      await screenshot(page, 'overview');
      // Evaluated in the page: every byte the navigation and its requests transferred, and when it became usable.
      return await page.evaluate<{ bytes: number; interactiveMs: number; files: number }>(`(() => {
        const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
        const interactive = performance.getEntriesByName('console-interactive')[0]?.startTime ?? NaN;
        return { bytes: entries.reduce((sum, entry) => sum + entry.transferSize, 0), interactiveMs: interactive, files: entries.length };
      })()`);
    } finally {
      await cold.close();
    }
  }

  it('takes the token from the fragment, removes it from the address bar, and loads in under 1 s and 200 KB', async () => {
    // The best of up to three cold loads: a test suite running beside it on two cores can stall one.
    const loads = [await coldLoad()];
    while (loads.length < 3 && Math.min(...loads.map((load) => load.interactiveMs)) >= 1000) loads.push(await coldLoad());
    for (const load of loads) {
      console.log(
        `console first load: ${load.bytes} bytes transferred in ${load.files} requests, interactive at ${load.interactiveMs.toFixed(0)} ms`,
      );
      expect(load.bytes).toBeGreaterThan(0);
      expect(load.bytes).toBeLessThan(200 * 1024);
    }
    expect(Math.min(...loads.map((load) => load.interactiveMs))).toBeLessThan(1000);
  });

  it('uploads examples/python3/hello.py through the file picker, watches it become READY, and runs it from the tester', async () => {
    const { page } = await openSignedIn('/upload');
    await page.locator('#source-file').setInputFiles(HELLO_PY);
    await expect(page.getByLabel('Name').inputValue()).resolves.toBe('hello');
    await page.getByLabel('Image').selectOption('python3');
    await page.getByRole('button', { name: 'Upload and deploy' }).click();
    const progress = page.getByRole('heading', { name: /Progress/ });
    await progress.getByText('READY').waitFor({ timeout: 90_000 });
    await screenshot(page, 'upload-ready');

    await page.goto(`${gateway.url}/ui/#/tester?function=hello`);
    await page.getByLabel(/^Input/).fill('{"name":"user"}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByLabel('Output').getByText('Hello, user from Nowhere').waitFor();
    await expect(page.getByLabel('stdout').textContent()).resolves.toContain(STDOUT_LINE);
    await expect(
      page
        .getByText(/\d+ ms/)
        .first()
        .isVisible(),
    ).resolves.toBe(true);
    await page.getByText(/Raw HTTP exchange/).click();
    await expect(page.getByLabel('Raw request').textContent()).resolves.toContain('POST /v1/runs?functionName=hello HTTP/1.1');
    await expect(page.getByLabel('Raw request').textContent()).resolves.not.toContain(TOKEN);
    await screenshot(page, 'tester-hello');

    const history = await gateway.dispatch.runs.list({ functionName: 'hello' });
    expect(history.map((entry) => entry.input)).toContainEqual({ name: 'user' });
  }, 120_000);

  it('shows a run of the history with its output, and the live log tail', async () => {
    const { page } = await openSignedIn('/runs?function=hello');
    await page.getByRole('log', { name: 'Logs of hello' }).getByText(STDOUT_LINE).first().waitFor();
    await page.locator('tbody th button').first().click();
    await page.getByLabel('Output').getByText('Hello, user from Nowhere').waitFor();
    await screenshot(page, 'runs-hello');
  });

  it("shows a function whose handler fails to load as ERROR with the loader's line", async () => {
    const source = join(dataDir, 'broken.py');
    await writeFile(source, 'import no_such_module_here  # noqa: F401\n\n\ndef handle(context, payload):\n    return payload\n');
    const { page } = await openSignedIn('/upload');
    await page.locator('#source-file').setInputFiles(source);
    await page.getByLabel('Image').selectOption('python3');
    await page.getByRole('button', { name: 'Upload and deploy' }).click();
    await page
      .getByRole('heading', { name: /Progress/ })
      .getByText('ERROR')
      .waitFor({ timeout: 90_000 });
    await page.getByRole('alert').getByText("No module named 'no_such_module_here'").waitFor();
    await screenshot(page, 'upload-error');

    await page.goto(`${gateway.url}/ui/#/overview`);
    const row = page.locator('tr[data-name="broken"]');
    await row.getByText('ERROR', { exact: true }).waitFor();
    await expect(row.locator('.reason').textContent()).resolves.toContain("No module named 'no_such_module_here'");
    await page
      .getByRole('alert')
      .getByText(/in ERROR: broken/)
      .waitFor();
  }, 120_000);

  it('creates an endpoint for a function and shows a curl command that calls it', async () => {
    const { page } = await openSignedIn('/endpoints?function=hello');
    // The link's function is chosen once the list of functions has arrived.
    await expect.poll(() => page.locator('#ep-function').inputValue(), { timeout: 10_000 }).toBe('hello');
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    const item = page.locator('li[data-name="hello"]');
    await item.waitFor();
    await expect(item.locator('.endpoint-url').textContent()).resolves.toBe(`${gateway.url}/hello`);
    const curl = (await item.locator('.curl').textContent()) ?? '';
    expect(curl).toContain(`${gateway.url}/hello`);
    await screenshot(page, 'endpoints');

    const { stdout } = await run('bash', ['-c', curl]);
    expect(JSON.parse(stdout)).toEqual({ myField: 'Hello, user from Nowhere' });
  });

  it('is readable at phone width', async () => {
    const { page } = await openSignedIn('/overview');
    await page.setViewportSize({ width: 390, height: 844 });
    await page
      .locator('section', { has: page.locator('#kind-function') })
      .locator('tr[data-name="hello"]')
      .waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'overview-phone');
  });

  it('logged no console errors on any page', () => {
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.flatMap((watched) => watched.problems)).toEqual([]);
  });
});
