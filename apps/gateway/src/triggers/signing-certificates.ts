import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { InvalidInputError } from '@dispatch/core';
import { type CertificateFetcher, fetchCertificateOverHttps } from './certificate-fetchers.js';

/** A request whose signature, signing certificate or timestamp does not check out (400, as Amazon asks). */
export class RequestVerificationError extends InvalidInputError {
  override readonly name = 'RequestVerificationError';
}

/** Where a signing certificate may be fetched from: anything else is refused before any network call. */
export interface CertificateUrlRule {
  /** The host, compared case-insensitively, or a pattern for hosts that vary (an SNS region). */
  host: string | RegExp;
  /** The path must start with this (case-sensitive) once `.` and `..` segments are resolved. */
  pathPrefix: string;
  /** The path must end with this (case-sensitive), when given: `.pem` for SNS. */
  pathSuffix?: string;
}

export interface SigningCertificatesOptions {
  /** Names the sender in messages: `Alexa`, `SNS`. */
  sender: string;
  urlRule: CertificateUrlRule;
  /** The DNS name the signing certificate must carry in its subject alternative names (one of them, if several). */
  subjectName: string | readonly string[];
  /** The roots a chain must end at; Node's bundled Mozilla roots when absent. */
  trustAnchors?: readonly X509Certificate[];
  /** Fetches the PEM chain at a URL; HTTPS with a timeout and a size cap when absent. */
  fetchCertificate?: CertificateFetcher;
  /** The clock, in ms; `Date.now` when absent. */
  now?: () => number;
}

/** Fetches, checks and caches the certificates that sign requests of one kind (Alexa, SNS…). */
export interface SigningCertificates {
  /**
   * The signing certificate at `url`, once the URL, the chain to a trust anchor, the validity dates and the
   * subject name check out; fetched once and then served from memory until the chain expires.
   * Throws RequestVerificationError otherwise.
   */
  certificate(url: string): Promise<X509Certificate>;
}

interface CachedChain {
  leaf: X509Certificate;
  /** The earliest notAfter of the chain, in ms. */
  expires: number;
}

const MAX_CHAIN_LENGTH = 8;
/** A URL whose certificate failed is not fetched again for this long: forged requests must not drive fetches. */
const FAILURE_MEMORY_MS = 60_000;
/** At most this many URLs remembered either way; the oldest is forgotten first. */
const MAX_REMEMBERED = 256;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
}

/** Node's bundled roots, parsed once on first use. */
let bundledRoots: X509Certificate[] | undefined;
export function defaultTrustAnchors(): X509Certificate[] {
  bundledRoots ??= rootCertificates.map((pem) => new X509Certificate(pem));
  return bundledRoots;
}

/** Splits a PEM bundle into its certificates, in order. */
export function parsePemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/**
 * Checks a certificate URL against the rule. The WHATWG parser lower-cases the scheme and host, drops the
 * default port and resolves `..` (also when percent-encoded), so the comparisons below see the URL as a
 * client would fetch it.
 */
export function checkCertificateUrl(text: string, rule: CertificateUrlRule, sender: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RequestVerificationError(`${sender} signing certificate URL is not a URL: ${JSON.stringify(text)}`);
  }
  const refuse = (why: string) => new RequestVerificationError(`${sender} signing certificate URL ${JSON.stringify(text)} ${why}`);
  if (url.protocol !== 'https:') throw refuse('is not https');
  const hostMatches = typeof rule.host === 'string' ? url.hostname === rule.host.toLowerCase() : rule.host.test(url.hostname);
  if (!hostMatches) throw refuse(`is not on ${String(rule.host)}`);
  if (url.port !== '' && url.port !== '443') throw refuse('names a port other than 443');
  if (url.username !== '' || url.password !== '') throw refuse('carries credentials');
  if (!url.pathname.startsWith(rule.pathPrefix)) throw refuse(`is not under ${rule.pathPrefix}`);
  if (rule.pathSuffix !== undefined && !url.pathname.endsWith(rule.pathSuffix)) throw refuse(`is not a ${rule.pathSuffix} file`);
  return url;
}

function validityOf(certificate: X509Certificate): { from: number; to: number } {
  return { from: Date.parse(certificate.validFrom), to: Date.parse(certificate.validTo) };
}

/** The certificate that issued `certificate` and whose key verifies its signature, among `candidates`. */
function issuerAmong(certificate: X509Certificate, candidates: readonly X509Certificate[]): X509Certificate | undefined {
  return candidates.find((candidate) => certificate.checkIssued(candidate) && certificate.verify(candidate.publicKey));
}

/**
 * Checks the chain (leaf first, intermediates after, as served): every certificate valid at `now`, each issued
 * and signed by the next (a CA), the last issued by a trust anchor, and the leaf naming `subjectName`.
 * Returns the earliest expiry.
 */
function checkChain(
  chain: X509Certificate[],
  options: Required<Pick<SigningCertificatesOptions, 'sender' | 'subjectName'>> & { anchors: readonly X509Certificate[]; now: number },
): number {
  const { sender, subjectName, anchors, now } = options;
  const leaf = chain[0];
  if (leaf === undefined) throw new RequestVerificationError(`${sender} signing certificate URL holds no certificate`);
  if (chain.length > MAX_CHAIN_LENGTH)
    throw new RequestVerificationError(`${sender} signing certificate chain is longer than ${MAX_CHAIN_LENGTH}`);
  let expires = Infinity;
  for (const certificate of chain) {
    const { from, to } = validityOf(certificate);
    if (!(now >= from))
      throw new RequestVerificationError(
        `${sender} signing certificate ${certificate.subject.replace(/\n/g, ', ')} is not valid yet (from ${certificate.validFrom})`,
      );
    if (!(now <= to))
      throw new RequestVerificationError(
        `${sender} signing certificate ${certificate.subject.replace(/\n/g, ', ')} has expired (${certificate.validTo})`,
      );
    expires = Math.min(expires, to);
  }
  // Amazon requires the name among the subject alternative names; the subject's CN does not count.
  const names = typeof subjectName === 'string' ? [subjectName] : subjectName;
  if (!names.some((name) => leaf.checkHost(name, { subject: 'never', wildcards: false }) !== undefined)) {
    throw new RequestVerificationError(`${sender} signing certificate does not name ${names.join(' or ')}`);
  }
  for (let i = 0; i < chain.length; i++) {
    const certificate = chain[i] as X509Certificate;
    const anchor = issuerAmong(certificate, anchors);
    if (anchor !== undefined) {
      const { from, to } = validityOf(anchor);
      if (now >= from && now <= to) return Math.min(expires, to);
    }
    const next = chain[i + 1];
    if (next === undefined || !next.ca || issuerAmong(certificate, [next]) === undefined) break;
  }
  throw new RequestVerificationError(`${sender} signing certificate does not chain to a trusted root`);
}

/** Builds the certificate checker for one kind of signed request; see `SigningCertificates`. */
export function createSigningCertificates(options: SigningCertificatesOptions): SigningCertificates {
  const { sender, urlRule, subjectName } = options;
  const anchors = options.trustAnchors ?? defaultTrustAnchors();
  const fetchCertificate = options.fetchCertificate ?? fetchCertificateOverHttps;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedChain>();
  const failures = new Map<string, { until: number; error: RequestVerificationError }>();
  // One fetch per URL at a time, however many requests arrive while it is in flight.
  const inFlight = new Map<string, Promise<CachedChain>>();

  async function load(url: URL): Promise<CachedChain> {
    let pem: string;
    try {
      pem = await fetchCertificate(url);
    } catch (error) {
      throw new RequestVerificationError(
        `${sender} signing certificate could not be fetched from ${url.href}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    let chain: X509Certificate[];
    try {
      chain = parsePemCertificates(pem);
    } catch (error) {
      throw new RequestVerificationError(`${sender} signing certificate at ${url.href} is not a PEM certificate chain`, { cause: error });
    }
    const expires = checkChain(chain, { sender, subjectName, anchors, now: now() });
    return { leaf: chain[0] as X509Certificate, expires };
  }

  return {
    async certificate(text: string): Promise<X509Certificate> {
      const url = checkCertificateUrl(text, urlRule, sender);
      const key = url.href;
      const cached = cache.get(key);
      if (cached !== undefined && now() <= cached.expires) return cached.leaf;
      cache.delete(key);
      const failed = failures.get(key);
      if (failed !== undefined && now() < failed.until) throw failed.error;
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = load(url).then(
          (chain) => {
            failures.delete(key);
            remember(cache, key, chain);
            return chain;
          },
          (error: unknown) => {
            if (error instanceof RequestVerificationError) remember(failures, key, { until: now() + FAILURE_MEMORY_MS, error });
            throw error;
          },
        );
        pending.finally(() => inFlight.delete(key)).catch(() => undefined);
        inFlight.set(key, pending);
      }
      return (await pending).leaf;
    },
  };
}
