import { verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { X509Certificate } from 'node:crypto';
import type { CertificateFetcher } from '../certificate-fetchers.js';
import { RequestVerificationError, createSigningCertificates, type SigningCertificates } from '../signing-certificates.js';

/** How far `request.timestamp` may be from now: Amazon's limit for a skill hosted as a web service. */
export const ALEXA_TIMESTAMP_TOLERANCE_MS = 150_000;

/** Amazon's rules for `SignatureCertChainUrl`, and the name its signing certificate carries. */
export const ALEXA_CERTIFICATE_URL_RULE = { host: 's3.amazonaws.com', pathPrefix: '/echo.api/' } as const;
export const ALEXA_CERTIFICATE_SUBJECT = 'echo-api.amazon.com';

export interface AlexaVerifierOptions {
  /** The roots Amazon's chain must end at; Node's bundled roots when absent. */
  trustAnchors?: readonly X509Certificate[];
  fetchCertificate?: CertificateFetcher;
  now?: () => number;
}

/** Checks that a request comes from Alexa, as Amazon requires of a skill hosted as a web service. */
export interface AlexaVerifier {
  /**
   * Checks the `SignatureCertChainUrl` and `Signature-256` headers against the raw body bytes, and that the
   * body's `request.timestamp` is within 150 s of now. Throws RequestVerificationError (400) otherwise.
   */
  verify(headers: IncomingHttpHeaders, rawBody: Buffer, body: unknown): Promise<void>;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function timestampOf(body: unknown): unknown {
  const request = (body as { request?: { timestamp?: unknown } } | null)?.request;
  return typeof request === 'object' && request !== null ? request.timestamp : undefined;
}

/** Builds an Alexa verifier; the certificates it fetches are cached until they expire. */
export function createAlexaVerifier(options: AlexaVerifierOptions = {}): AlexaVerifier {
  const now = options.now ?? Date.now;
  const certificates: SigningCertificates = createSigningCertificates({
    sender: 'Alexa',
    urlRule: ALEXA_CERTIFICATE_URL_RULE,
    subjectName: ALEXA_CERTIFICATE_SUBJECT,
    ...(options.trustAnchors ? { trustAnchors: options.trustAnchors } : {}),
    ...(options.fetchCertificate ? { fetchCertificate: options.fetchCertificate } : {}),
    now,
  });

  return {
    async verify(headers, rawBody, body) {
      const chainUrl = header(headers, 'signaturecertchainurl');
      const signature = header(headers, 'signature-256');
      if (!chainUrl || !signature) {
        throw new RequestVerificationError(
          'this is an Alexa skill endpoint: the SignatureCertChainUrl and Signature-256 headers are required',
        );
      }
      // The timestamp is the cheapest check, and a replayed request must not cost a certificate fetch.
      const timestamp = timestampOf(body);
      const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
      if (Number.isNaN(at)) throw new RequestVerificationError('the Alexa request has no valid request.timestamp');
      if (Math.abs(now() - at) > ALEXA_TIMESTAMP_TOLERANCE_MS) {
        throw new RequestVerificationError(`the Alexa request's timestamp ${timestamp as string} is more than 150 s from now`);
      }
      const certificate = await certificates.certificate(chainUrl);
      let valid = false;
      try {
        valid = verify('RSA-SHA256', rawBody, certificate.publicKey, Buffer.from(signature, 'base64'));
      } catch {
        // A key of another type, or a signature of the wrong size: not a valid signature either.
      }
      if (!valid) throw new RequestVerificationError('the Alexa request signature does not match its body');
    },
  };
}
