import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens the store at `location`: a `postgres://…` URL opens the PostgreSQL store (several gateways may share
 * it), anything else is a data directory for the embedded SQLite store (or `':memory:'`).
 */
export async function openStore(location: string): Promise<Store> {
  // openPostgresStore loads `pg` itself, on first use: SQLite users never load it.
  return isPostgresUrl(location) ? openPostgresStore(location) : openSqliteStore(location);
}
