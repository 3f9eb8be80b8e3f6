import { InvalidInputError } from '@dispatch/core/driver';
import type { LocalDriverOptions } from './local-driver.js';
import { sandboxModeFromEnv } from './sandbox.js';

/**
 * The local backend's options from the environment, as the gateway reads them: DISPATCH_SANDBOX (off, auto,
 * required) and DISPATCH_PREWARM (on, off: the pre-warmed spare processes of spare-pool.ts).
 */
export function localDriverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<LocalDriverOptions, 'dataDir'> {
  return { sandbox: sandboxModeFromEnv(env), prewarm: prewarmFromEnv(env) };
}

function prewarmFromEnv(env: NodeJS.ProcessEnv): boolean {
  const raw = (env.DISPATCH_PREWARM ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new InvalidInputError(`DISPATCH_PREWARM must be on or off, not "${env.DISPATCH_PREWARM ?? ''}"`);
}
