/**
 * @dispatch/driver-local: Dispatch's embedded default backend. Functions run as supervised pools of
 * function server processes on this machine; images are folders of installed dependencies.
 */
export { createLocalDriver } from './local-driver.js';
export type { LocalDriverOptions } from './local-driver.js';
export { localDriverOptionsFromEnv } from './options-from-env.js';
export { sandboxModeFromEnv } from './sandbox.js';
export type { SandboxMode } from './sandbox.js';
