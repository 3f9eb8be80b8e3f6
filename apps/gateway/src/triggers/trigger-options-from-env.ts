import { readFileSync } from 'node:fs';
import { mirrorCertificateFetcher } from './certificate-fetchers.js';
import { parsePemCertificates } from './signing-certificates.js';
import type { TriggerOptions } from './triggers.js';

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** `DISPATCH_<SENDER>_TRUST_ANCHORS` (a PEM file or PEM text) and `DISPATCH_<SENDER>_CERT_MIRROR`, when set. */
function certificateOptions(
  env: NodeJS.ProcessEnv,
  sender: 'ALEXA' | 'SNS',
): Pick<NonNullable<TriggerOptions['sns']>, 'trustAnchors' | 'fetchCertificate'> {
  const options: Pick<NonNullable<TriggerOptions['sns']>, 'trustAnchors' | 'fetchCertificate'> = {};
  const anchors = text(env, `DISPATCH_${sender}_TRUST_ANCHORS`);
  if (anchors !== undefined) {
    const pem = anchors.startsWith('-----BEGIN') ? anchors : readFileSync(anchors, 'utf8');
    options.trustAnchors = parsePemCertificates(pem);
    if (options.trustAnchors.length === 0) throw new Error(`DISPATCH_${sender}_TRUST_ANCHORS holds no PEM certificate`);
  }
  const mirror = text(env, `DISPATCH_${sender}_CERT_MIRROR`);
  if (mirror !== undefined) options.fetchCertificate = mirrorCertificateFetcher(mirror);
  return options;
}

/**
 * Reads `DISPATCH_ALEXA_VERIFY` (on; `off` for development only), `DISPATCH_ALEXA_TRUST_ANCHORS` (a PEM file, or
 * PEM text, of the roots Alexa's signing chain must end at; Node's bundled roots by default) and
 * `DISPATCH_ALEXA_CERT_MIRROR` (a `file://` or `http(s)://` base to read signing certificates' paths from
 * instead of s3.amazonaws.com, for a gateway without internet access); `DISPATCH_SNS_TRUST_ANCHORS` and
 * `DISPATCH_SNS_CERT_MIRROR` do the same for SNS messages (whose verification cannot be turned off).
 */
export function triggerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TriggerOptions {
  const verify = text(env, 'DISPATCH_ALEXA_VERIFY')?.toLowerCase();
  if (verify !== undefined && !['on', 'off', 'true', 'false', '1', '0'].includes(verify)) {
    throw new Error(`DISPATCH_ALEXA_VERIFY must be on or off, not "${env.DISPATCH_ALEXA_VERIFY}"`);
  }
  const alexa = { verify: verify === undefined || ['on', 'true', '1'].includes(verify), ...certificateOptions(env, 'ALEXA') };
  return { alexa, sns: certificateOptions(env, 'SNS') };
}
