import { hash, timingSafeEqual } from 'node:crypto';

/** One-shot hashing: every admin request checks its token, and a Hash object per request costs twice as much. */
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Compares two secrets in constant time, whatever their lengths (both are hashed to the same size first). */
export function secureEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** A comparer for one fixed secret, hashing it once. */
export function secureMatcher(expected: string): (given: string) => boolean {
  const expectedDigest = digest(expected);
  return (given) => timingSafeEqual(digest(given), expectedDigest);
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The user and password of an `Authorization: Basic <base64(user:password)>` header. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
