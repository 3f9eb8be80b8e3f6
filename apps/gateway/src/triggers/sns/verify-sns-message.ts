import { type X509Certificate, verify } from 'node:crypto';
import type { CertificateFetcher } from '../certificate-fetchers.js';
import { RequestVerificationError, createSigningCertificates } from '../signing-certificates.js';
import { type SnsMessage, snsStringToSign } from './sns-message.js';

/**
 * SNS hosts in every partition: `sns.<region>.amazonaws.com` (aws, aws-us-gov) and `sns.<region>.amazonaws.com.cn`
 * (China). The WHATWG parser has lower-cased the host before it is tested.
 */
export const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** AWS's rules for `SigningCertURL`: https on an SNS host, a `.pem` file. */
export const SNS_CERTIFICATE_URL_RULE = { host: SNS_HOST, pathPrefix: '/', pathSuffix: '.pem' } as const;

/** The names SNS signing certificates carry (the China partition's has its own). */
export const SNS_CERTIFICATE_SUBJECTS = ['sns.amazonaws.com', 'sns.amazonaws.com.cn'] as const;

/** The hash each `SignatureVersion` signs with. */
const ALGORITHMS: Record<string, string> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };

export interface SnsVerifierOptions {
  /** The roots Amazon's chain must end at; Node's bundled roots when absent. */
  trustAnchors?: readonly X509Certificate[];
  fetchCertificate?: CertificateFetcher;
  now?: () => number;
}

/** Checks that a message comes from Amazon SNS, as AWS documents for HTTP(S) subscribers. */
export interface SnsVerifier {
  /**
   * Checks the `SigningCertURL`, the certificate it serves (chain, dates, name) and the `Signature` over the
   * message type's signed fields, with SHA1 (`SignatureVersion` 1) or SHA256 (2). Throws RequestVerificationError.
   */
  verify(message: SnsMessage): Promise<void>;
}

/** Builds an SNS verifier; the certificates it fetches are cached until they expire. */
export function createSnsVerifier(options: SnsVerifierOptions = {}): SnsVerifier {
  const certificates = createSigningCertificates({
    sender: 'SNS',
    urlRule: SNS_CERTIFICATE_URL_RULE,
    subjectName: SNS_CERTIFICATE_SUBJECTS,
    ...(options.trustAnchors ? { trustAnchors: options.trustAnchors } : {}),
    ...(options.fetchCertificate ? { fetchCertificate: options.fetchCertificate } : {}),
    ...(options.now ? { now: options.now } : {}),
  });

  return {
    async verify(message) {
      const algorithm = ALGORITHMS[message.SignatureVersion];
      if (algorithm === undefined)
        throw new RequestVerificationError(`SNS SignatureVersion ${JSON.stringify(message.SignatureVersion)} is not 1 or 2`);
      const certificate = await certificates.certificate(message.SigningCertURL);
      let valid = false;
      try {
        valid = verify(
          algorithm,
          Buffer.from(snsStringToSign(message), 'utf8'),
          certificate.publicKey,
          Buffer.from(message.Signature, 'base64'),
        );
      } catch {
        // A key of another type, or a signature of the wrong size: not a valid signature either.
      }
      if (!valid)
        throw new RequestVerificationError(
          `the SNS message's signature does not match its fields (SignatureVersion ${message.SignatureVersion})`,
        );
    },
  };
}

/** A `SubscribeURL` Dispatch will GET to confirm a subscription: https on an SNS host, nothing else. */
export function checkSubscribeUrl(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (
    url === undefined ||
    url.protocol !== 'https:' ||
    !SNS_HOST.test(url.hostname) ||
    (url.port !== '' && url.port !== '443') ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new RequestVerificationError(
      `the SubscribeURL ${JSON.stringify(text)} is not an https URL on an SNS host (sns.<region>.amazonaws.com)`,
    );
  }
  return url;
}
