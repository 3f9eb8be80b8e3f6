/**
 * @dispatch/gateway: the HTTP gateway (REST API, runs, endpoint ingress). `buildApp` builds it without
 * listening (for tests and embedding); `startGateway` opens the store, creates the backend's driver and listens.
 */
export { buildApp, DEFAULT_BODY_LIMIT } from './app.js';
export type { GatewayOptions } from './app.js';
export { startGateway } from './start.js';
export type { RunningGateway, StartGatewayOptions } from './start.js';
export { gatewayConfigFromEnv } from './config.js';
export type { GatewayConfig } from './config.js';
export { createDriver, driverFactory, driverRegistry, knownBackends } from './drivers.js';
export type { DriverContext, DriverFactory } from './drivers.js';
export { isLoopbackHost } from './loopback.js';
export { stopOnSignal, DEFAULT_STOP_GRACE_MS } from './shutdown.js';
export type { StopOnSignalOptions } from './shutdown.js';
export { defaultDataDir } from './config.js';
export { TOKEN_FILE_NAME, resolveAdminToken } from './admin/admin-token.js';
export type { AdminToken } from './admin/admin-token.js';
export { writeRuntimeFile } from './admin/runtime-file.js';
export { findLocalGateway, runtimeDirs } from './local-gateways.js';
export type { RuntimeFile } from './local-gateways.js';
