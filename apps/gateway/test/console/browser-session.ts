import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@dispatch/driver-testkit/browser';
import { pino } from 'pino';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { startGateway, type RunningGateway, type StartGatewayOptions } from '../../src/start.js';

/** Screenshots land here (gitignored) so a person can look at what the tests saw. */
export const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../.artifacts/console');

/** A page that records what a person would not want: console errors, page errors, and admin API answers. */
export interface WatchedPage {
  page: Page;
  problems: string[];
  adminAnswers: { url: string; status: number }[];
}

export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const watched: WatchedPage = { page, problems: [], adminAnswers: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') watched.problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => watched.problems.push(`page error: ${error.message}`));
  page.on('response', (response: Response) => {
    if (new URL(response.url()).pathname.startsWith('/v1/')) watched.adminAnswers.push({ url: response.url(), status: response.status() });
  });
  return watched;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A gateway on the local backend with its console, and a fresh headless Chromium, for one test file. */
export interface ConsoleSession {
  gateway: RunningGateway;
  browser: BrowserContext;
  dataDir: string;
  /** Opens a page of the console signed in, as `dispatch ui` does, at `route` (`/upload`, `/tester?function=x`). */
  openSignedIn(route?: string): Promise<WatchedPage>;
  close(): Promise<void>;
}

export async function startConsoleSession(token: string, options: Partial<StartGatewayOptions> = {}): Promise<ConsoleSession> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dispatch-console-browser-'));
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    backend: 'local',
    dataDir,
    token,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  const browser = await launchChromium();
  return {
    gateway,
    browser,
    dataDir,
    async openSignedIn(route = '/') {
      const watched = await watchedPage(browser);
      await watched.page.goto(`${gateway.url}/ui/#token=${encodeURIComponent(token)}`);
      await watched.page.waitForSelector('html[data-ready="true"]');
      if (route !== '/') await watched.page.goto(`${gateway.url}/ui/#${route}`);
      return watched;
    },
    async close() {
      await browser.close();
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
