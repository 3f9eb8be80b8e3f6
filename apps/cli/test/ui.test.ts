import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { launchChromium, requireChromium } from '@dispatch/driver-testkit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './helpers/build.js';
import { runCli, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const TOKEN = 'ui-test-token';
const consoleBuilt = existsSync(join(dirname(createRequire(import.meta.url).resolve('@dispatch/console/package.json')), 'dist/index.html'));
if (!consoleBuilt) {
  const how = 'build it with `npx nx run @dispatch/console:build`';
  if (process.env.CI === 'true') throw new Error(`the browser test of dispatch ui needs the built console: ${how}`);
  console.warn(`skipping the browser test of dispatch ui: the console is not built; ${how}`);
}

describe('dispatch ui', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let home: string;
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    gateway = await startTestGateway({ seedDefaults: false, token: TOKEN });
    home = await mkdtemp(join(tmpdir(), 'dispatch-cli-ui-'));
    // No DISPLAY in this environment: the URL is printed rather than opened.
    cli = { cwd: home, env: { HOME: home } };
    const added = await runCli(
      ['context', 'add', 'here', '--host', '127.0.0.1', '--port', String(gateway.port), '--scheme', 'http', '--token', TOKEN],
      cli,
    );
    expect(added.code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('prints the console URL, carrying the token in the fragment, when no browser can be opened', async () => {
    const result = await runCli(['ui'], cli);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${gateway.url}/ui/#token=${TOKEN}\n`);
    expect(result.stderr).toContain('No browser could be opened here');
  });

  it('says so when the gateway refuses the context token, and prints no URL', async () => {
    const result = await runCli(['ui', '--token', 'wrong'], cli);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\[Code: 401\] /);
    expect(result.stdout).toBe('');
  });

  it.skipIf(!consoleBuilt || !requireChromium())('opens the console signed in, and the token leaves the address bar', async () => {
    const url = (await runCli(['ui', '--print'], cli)).stdout.trim();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      expect(page.url()).toBe(`${gateway.url}/ui/#/`);
      await page.getByText('No functions yet.').waitFor();
    } finally {
      await browser.close();
    }
  });
});
