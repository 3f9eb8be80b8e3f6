import { InvalidInputError, PayloadTooLargeError } from '../errors.js';

/** Limits for `decodeSource`. */
export interface DecodeSourceOptions {
  /** Largest decoded archive accepted, in bytes; default 64 MiB. */
  maxBytes?: number;
}

/** The default cap on a decoded source archive. */
export const DEFAULT_MAX_SOURCE_BYTES = 64 * 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const WHITESPACE = /\s/;

/**
 * Decodes a function's `source` from base64 (standard or URL-safe alphabet; line breaks allowed), checking it
 * first because Buffer.from silently skips characters that are not base64. An empty string decodes to an
 * empty buffer (a `protocol: funker` function has no source). Throws InvalidInputError on anything that is
 * not base64 and PayloadTooLargeError above `maxBytes`, checked before decoding.
 */
export function decodeSource(base64: string, options: DecodeSourceOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SOURCE_BYTES;
  const text = WHITESPACE.test(base64) ? base64.replace(/\s+/g, '') : base64;
  const alphabet = BASE64.test(text) ? 'base64' : BASE64URL.test(text) ? 'base64url' : undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  // A single character left over after groups of four cannot encode a byte.
  if (alphabet === undefined || (text.length - padding) % 4 === 1) {
    throw new InvalidInputError('source is not a base64 tar.gz archive: it contains characters that are not base64');
  }
  const size = Math.floor(((text.length - padding) * 3) / 4);
  if (size > maxBytes) {
    throw new PayloadTooLargeError(`source is ${size} bytes, more than the ${maxBytes} bytes allowed`);
  }
  return Buffer.from(text, alphabet);
}
