import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Fetches the PEM certificate chain published at a (checked) URL. */
export type CertificateFetcher = (url: URL) => Promise<string>;

/** A signing chain is a few kilobytes; anything far larger is not one. */
const MAX_CHAIN_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 5000;

async function readCapped(response: Response, url: string): Promise<string> {
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_CHAIN_BYTES) throw new Error(`${url} is larger than ${MAX_CHAIN_BYTES} bytes`);
  return text;
}

/** The default fetcher: a GET with a 5 s timeout that follows no redirect (a redirect could leave the rule). */
export async function fetchCertificateOverHttps(url: URL): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return readCapped(response, url.href);
}

/**
 * A fetcher that reads a certificate URL's path under another base instead (`file:///srv/certs/` or
 * `http://mirror:8000/`): for a gateway without internet access, and for tests with a CA of their own.
 * The URL has passed the rules before it gets here, so the mirror only ever serves allowed paths.
 */
export function mirrorCertificateFetcher(base: string): CertificateFetcher {
  const root = new URL(base.endsWith('/') ? base : `${base}/`);
  return async (url) => {
    const target = new URL(`.${url.pathname}`, root);
    if (target.protocol === 'file:') return readFile(fileURLToPath(target), 'utf8');
    const response = await fetch(target, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status} from the mirror ${target.href}`);
    return readCapped(response, target.href);
  };
}
