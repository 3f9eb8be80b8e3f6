import type { EntityKind } from '@dispatch/core/driver';
import levenshtein from 'fast-levenshtein';
import type { GatewayClient } from '../client/gateway-client.js';
import { GatewayError } from './errors.js';

/** The gateway's words for each kind in `<label> "name" not found` (core's KIND_LABEL). */
const KIND_BY_LABEL: Record<string, EntityKind> = {
  'base image': 'baseimage',
  image: 'image',
  function: 'function',
  secret: 'secret',
  endpoint: 'endpoint',
};

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
  const match = /^(base image|image|function|secret|endpoint) "([^"]+)" not found$/.exec(error.message);
  const kind = match?.[1] === undefined ? undefined : KIND_BY_LABEL[match[1]];
  if (match === null || kind === undefined) return error;
  const name = match[2] ?? '';
  try {
    const known = (await (await client()).entities(kind).list()).map((entity) => entity.name);
    const suggestion = closestName(name, known.filter((other) => other !== name));
    if (suggestion === undefined) return error;
    return new GatewayError(404, `${error.message}; did you mean "${suggestion}"?`, error.body);
  } catch {
    return error;
  }
}
