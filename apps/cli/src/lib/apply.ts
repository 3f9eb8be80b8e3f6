import type { EntityMeta } from '@dispatch/core/driver';
import type { GatewayClient } from '../client/gateway-client.js';
import { CliError } from './errors.js';
import { APPLY_ORDER } from './kinds.js';
import type { ManifestDocument } from './manifest.js';

/** `create -f` only creates, `update -f` only updates, `apply -f` does whichever fits. */
export type ManifestMode = 'create' | 'update' | 'apply';

export interface Written {
  verb: 'Created' | 'Updated';
  document: ManifestDocument;
  entity: EntityMeta;
}

const rank = (document: ManifestDocument) => APPLY_ORDER.indexOf(document.kind);

/** Documents in dependency order: base images, images, secrets, functions, endpoints, schedules (stable within a kind). */
export function inApplyOrder(documents: readonly ManifestDocument[]): ManifestDocument[] {
  return [...documents].sort((a, b) => rank(a) - rank(b) || a.index - b.index);
}

async function exists(client: GatewayClient, document: ManifestDocument): Promise<boolean> {
  try {
    await client.entities(document.kind).get(document.name);
    return true;
  } catch (error) {
    if (error instanceof CliError && error.code === 404) return false;
    throw error;
  }
}

/** Writes the documents in dependency order, reporting each as it is written. */
export async function writeManifest(
  client: GatewayClient,
  documents: readonly ManifestDocument[],
  mode: ManifestMode,
  onWritten: (written: Written) => void,
): Promise<Written[]> {
  const results: Written[] = [];
  for (const document of inApplyOrder(documents)) {
    const api = client.entities(document.kind);
    const update = mode === 'update' || (mode === 'apply' && (await exists(client, document)));
    const { name, ...fields } = document.body;
    const entity = update ? await api.update(document.name, fields) : await api.create({ ...fields, name });
    const written: Written = { verb: update ? 'Updated' : 'Created', document, entity };
    onWritten(written);
    results.push(written);
  }
  return results;
}

/**
 * Deletes the documents in reverse dependency order. What is already gone is not an error: it is reported
 * with `entity` undefined.
 */
export async function deleteManifest(
  client: GatewayClient,
  documents: readonly ManifestDocument[],
  onDeleted: (document: ManifestDocument, entity: EntityMeta | undefined) => void,
): Promise<void> {
  for (const document of inApplyOrder(documents).reverse()) {
    let entity: EntityMeta | undefined;
    try {
      entity = await client.entities(document.kind).delete(document.name);
    } catch (error) {
      if (!(error instanceof CliError && error.code === 404)) throw error;
    }
    onDeleted(document, entity);
  }
}
