/**
 * @dispatch/core/driver: the spec a backend is written against, as `@ai-sdk/provider` is for vercel/ai. The
 * Driver interface and the domain types it speaks, the typed errors, the run envelope helpers, the funker and
 * wire protocols and the rules every driver shares. It loads nothing heavy (no store, no SQLite addon, no ajv, no tar),
 * so a driver or the CLI that imports it starts fast. `@dispatch/core` re-exports all of it.
 */
export * from '../domain/types.js';
export * from '../errors.js';
export * from '../envelope.js';
export * from './driver.js';
export * from './logger.js';
export * from './env-secret.js';
export * from './replicas.js';
export * from '../domain/function-scaling.js';
export * from './run-limits.js';
export * from '../funker/index.js';
export * from '../wire/index.js';
export * from '../domain/validation.js';
export { KeyedMutex } from '../service/keyed-mutex.js';
export { DISPATCH_VERSION } from '../version.js';
