import { readFileSync } from 'node:fs';
import { mirrorCertificateFetcher } from './certificate-fetchers.js';
import { parsePemCertificates } from './signing-certificates.js';
import type { TriggerOptions } from './triggers.js';

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads `DISPATCH_ALEXA_VERIFY` (on; `off` for development only), `DISPATCH_ALEXA_TRUST_ANCHORS` (a PEM file, or
 * PEM text, of the roots Alexa's signing chain must end at; Node's bundled roots by default) and
 * `DISPATCH_ALEXA_CERT_MIRROR` (a `file://` or `http(s)://` base to read signing certificates' paths from
 * instead of s3.amazonaws.com, for a gateway without internet access).
 */
export function triggerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TriggerOptions {
  const verify = text(env, 'DISPATCH_ALEXA_VERIFY')?.toLowerCase();
  if (verify !== undefined && !['on', 'off', 'true', 'false', '1', '0'].includes(verify)) {
    throw new Error(`DISPATCH_ALEXA_VERIFY must be on or off, not "${env.DISPATCH_ALEXA_VERIFY}"`);
  }
  const alexa: NonNullable<TriggerOptions['alexa']> = { verify: verify === undefined || ['on', 'true', '1'].includes(verify) };
  const anchors = text(env, 'DISPATCH_ALEXA_TRUST_ANCHORS');
  if (anchors !== undefined) {
    const pem = anchors.startsWith('-----BEGIN') ? anchors : readFileSync(anchors, 'utf8');
    alexa.trustAnchors = parsePemCertificates(pem);
    if (alexa.trustAnchors.length === 0) throw new Error('DISPATCH_ALEXA_TRUST_ANCHORS holds no PEM certificate');
  }
  const mirror = text(env, 'DISPATCH_ALEXA_CERT_MIRROR');
  if (mirror !== undefined) alexa.fetchCertificate = mirrorCertificateFetcher(mirror);
  return { alexa };
}
