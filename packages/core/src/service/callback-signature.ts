import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a callback's signature travels in. */
export const CALLBACK_SIGNATURE_HEADER = 'x-dispatch-signature';

/**
 * Signs a callback body: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under key>`. The timestamp is
 * signed too, so a receiver can refuse an old delivery replayed later.
 */
export function signCallback(key: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Checks an `X-Dispatch-Signature` header against the raw body, as a receiver does: true when it was made with
 * `key` over this body, at most `toleranceSeconds` ago (default 5 minutes).
 */
export function verifyCallbackSignature(key: string, header: string | undefined, body: string, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  const given = parts.v1;
  if (!Number.isInteger(timestamp) || typeof given !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signCallback(key, body, timestamp).split('v1=')[1] as string, 'hex');
  const actual = Buffer.from(given, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
