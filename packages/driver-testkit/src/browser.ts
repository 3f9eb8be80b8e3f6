import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, LaunchOptions } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, done by .ci/run); playwright-core downloads no browser. */
export const CHROMIUM_PATH = process.env.DISPATCH_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, throwaway browser: nothing phones home, nothing is synced or updated. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts headless Chromium with a fresh profile (a new user-data-dir, removed when the context closes) and
 * answers its browser context. Tests drive pages with `context.newPage()` and end with `context.close()`.
 */
export async function launchChromium(options: Pick<LaunchOptions, 'timeout' | 'args'> = {}): Promise<BrowserContext> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'dispatch-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      // Tests may add flags, e.g. --host-resolver-rules to give a test site a name.
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
      timeout: options.timeout ?? 30_000,
    });
    // Chromium may still be writing its profile as it exits: retry, and never fail a test over a temp folder.
    const removeProfile = () => rm(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }).catch(() => undefined);
    context.once('close', () => void removeProfile());
    // close() resolves once the profile is gone too, so a test process that ends right after leaves nothing behind.
    const close = context.close.bind(context);
    context.close = async (...args: Parameters<BrowserContext['close']>) => {
      await close(...args);
      await removeProfile();
    };
    return context;
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Whether browser tests can run: Chromium missing skips them with a clear message on a developer's machine
 * and fails them in CI (`CI=true`), where .ci/run installs it.
 */
export function requireChromium(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const how = 'install it with `apt-get install chromium` (as .ci/run does) or point DISPATCH_CHROMIUM at one';
  if (process.env.CI === 'true') throw new Error(`browser tests need Chromium at ${CHROMIUM_PATH} and CI must provide it: ${how}`);
  console.warn(`skipping: no Chromium at ${CHROMIUM_PATH}; ${how}`);
  return false;
}
