import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page, Response } from 'playwright-core';

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
