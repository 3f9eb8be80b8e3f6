import type { EntityKind } from '@dispatch/core/driver';
import levenshtein from 'fast-levenshtein';
import type { GatewayClient } from '../client/gateway-client.js';
import { GatewayError } from './errors.js';
import { APPLY_ORDER } from './kinds.js';

/** The entity a 404 names, as the gateway answers it: `{kind: "EntityNotFound", entity: {kind, name}}`. */
function missingEntity(error: GatewayError): { kind: EntityKind; name: string } | undefined {
  const body = error.body as { kind?: unknown; entity?: { kind?: unknown; name?: unknown } } | undefined;
  if (body?.kind !== 'EntityNotFound' || typeof body.entity?.name !== 'string') return undefined;
  const kind = APPLY_ORDER.find((known) => known === body.entity?.kind);
  return kind === undefined ? undefined : { kind, name: body.entity.name };
}

/** The known name closest to `name`, if one is close enough to be a typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = levenshtein.get(name, candidate);
    if (distance <= Math.max(2, Math.floor(name.length / 3)) && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name;
}

/**
 * A 404 for an entity that does not exist, with `; did you mean "hello"?` added when the gateway knows a
 * name close to it. Anything else, or a failure to list, leaves the error as it was.
 */
export async function withSuggestion(error: unknown, client: () => Promise<GatewayClient>): Promise<unknown> {
  if (!(error instanceof GatewayError) || error.code !== 404) return error;
  const missing = missingEntity(error);
  if (missing === undefined) return error;
  const { kind, name } = missing;
  try {
    const known = (await (await client()).entities(kind).list()).map((entity) => entity.name);
    const suggestion = closestName(
      name,
      known.filter((other) => other !== name),
    );
    if (suggestion === undefined) return error;
    return new GatewayError(404, `${error.message}; did you mean "${suggestion}"?`, error.body);
  } catch {
    return error;
  }
}
