/**
 * @dispatch/core: Dispatch's domain, its use-cases, the Store and Driver interfaces, and the funker wire
 * protocol. Backends import the lighter `@dispatch/core/driver` (the spec) and `@dispatch/core/source` (packing
 * and unpacking function sources). Usable as a library on its own:
 *
 *   const dispatch = await createDispatch({ driver: createLocalDriver({ dataDir }), store: openSqliteStore(dataDir) });
 */
export * from './driver/index.js';
export * from './store/store.js';
export * from './service/dispatch-service.js';
export { DEFAULT_ALEXA_TIMEOUT_MS, endpointFunctions, normalizeTriggerSettings } from './domain/trigger-settings.js';
export { createDispatch } from './service/create-dispatch.js';
export type { BuildEvent, ColdStartEvent, DispatchObserver } from './service/dispatch-observer.js';
export { MAX_CRON_LENGTH } from './domain/cron.js';
export { MAX_SCHEDULE_INPUT_BYTES } from './service/schedule-service.js';
export { EntityFailedError } from './service/entity-lifecycle.js';
export { DEFAULT_QUEUE_SETTINGS, MAX_RUN_ATTEMPTS } from './service/queue-settings.js';
export type { QueueSettings } from './service/queue-settings.js';
export { DEFAULT_SCALE_IDLE_MS } from './service/autoscaler.js';
export type { AutoscalerOptions } from './service/autoscaler.js';
export { CALLBACK_SIGNATURE_HEADER, signCallback, verifyCallbackSignature } from './service/callback-signature.js';
export { CALLBACK_SECRET_NAME } from './service/callback-delivery.js';
export * from './source/index.js';
export { openSqliteStore, SQLITE_STORE_FILE } from './store/sqlite-store.js';
export { StoreVersionError } from './store/migrations.js';
export { openStore, isPostgresUrl } from './store/open-store.js';
export { openPostgresStore } from './store/postgres-store.js';
export type { PostgresStoreOptions } from './store/postgres-store.js';
