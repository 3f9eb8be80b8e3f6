import type { LocalDriverOptions } from './local-driver.js';
import { sandboxModeFromEnv } from './sandbox.js';

/** The local backend's options from the environment, as the gateway reads them: DISPATCH_SANDBOX (off, auto, required). */
export function localDriverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<LocalDriverOptions, 'dataDir'> {
  return { sandbox: sandboxModeFromEnv(env) };
}
