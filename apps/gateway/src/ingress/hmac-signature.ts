import { createHmac } from 'node:crypto';
import { secureEqual } from '../secure-compare.js';

/** The header holding the request's time, in whole seconds since the Unix epoch. */
export const HMAC_TIMESTAMP_HEADER = 'x-dispatch-timestamp';
/** The header holding `sha256=<hex of HMAC-SHA256(key, timestamp + "." + raw body)>`. */
export const HMAC_SIGNATURE_HEADER = 'x-dispatch-signature';
/** How far a request's timestamp may be from the gateway's clock: older requests are replays. */
export const HMAC_WINDOW_SECONDS = 300;

/** The signature a caller sends for `body` at `timestamp` with `key` (also what the docs show). */
export function hmacSignature(key: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * Checks a signed request: a timestamp within the window, and a signature made with one of `keys` (every
 * value of the endpoint's secret, so that a key can be rotated). Answers why it is refused, or undefined.
 */
export function verifyHmac(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  keys: string[],
  now: number = Date.now(),
): string | undefined {
  const timestamp = headers[HMAC_TIMESTAMP_HEADER];
  const signature = headers[HMAC_SIGNATURE_HEADER];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') {
    return `this endpoint requires signed requests: ${HMAC_TIMESTAMP_HEADER} and ${HMAC_SIGNATURE_HEADER} headers`;
  }
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > HMAC_WINDOW_SECONDS) {
    return `the request's ${HMAC_TIMESTAMP_HEADER} is not within ${HMAC_WINDOW_SECONDS} seconds of now`;
  }
  // Compare with every key, so the time taken does not tell which one (if any) matched.
  let matched = false;
  for (const key of keys) matched = secureEqual(signature.trim().toLowerCase(), hmacSignature(key, timestamp, body)) || matched;
  return matched ? undefined : 'the request signature is not valid for this endpoint';
}
