import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, signBody, type IssuedCertificate, type TestCa } from '../../../test/support/test-ca.js';
import { createAlexaVerifier, type AlexaVerifier } from './verify-alexa-request.js';

const CHAIN_URL = 'https://s3.amazonaws.com/echo.api/echo-api-cert-4.pem';
const DAY = 24 * 3600_000;

function alexaBody(timestamp = new Date().toISOString()): string {
  return JSON.stringify({
    version: '1.0',
    session: { application: { applicationId: 'amzn1.ask.skill.test' } },
    request: { type: 'LaunchRequest', timestamp },
  });
}

describe('the Alexa request verifier', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let good: IssuedCertificate;
  /** PEM chains by certificate URL path, as the fetcher serves them; every fetch is counted. */
  const served = new Map<string, string>();
  const fetched: string[] = [];
  let verifier: AlexaVerifier;

  function signedHeaders(body: string, certificate: IssuedCertificate, url = CHAIN_URL) {
    return { signaturecertchainurl: url, 'signature-256': signBody(body, certificate.keyPem) };
  }

  async function refusal(headers: Record<string, string>, body: string): Promise<string> {
    const error = await verifier.verify(headers, Buffer.from(body), JSON.parse(body)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'RequestVerificationError', code: 400 });
    return (error as Error).message;
  }

  async function servedAs(path: string, certificate: IssuedCertificate): Promise<string> {
    served.set(path, certificate.chainPem);
    return `https://s3.amazonaws.com${path}`;
  }

  beforeAll(async () => {
    ca = await createTestCa();
    otherCa = await createTestCa('Someone Else');
    good = await ca.issue();
    served.set('/echo.api/echo-api-cert-4.pem', good.chainPem);
    verifier = createAlexaVerifier({
      trustAnchors: [new X509Certificate(ca.rootPem)],
      fetchCertificate: async (url) => {
        fetched.push(url.href);
        const pem = served.get(url.pathname);
        if (pem === undefined) throw new Error('HTTP 404');
        return pem;
      },
    });
  }, 60_000);

  afterAll(async () => {
    await ca?.remove();
    await otherCa?.remove();
  });

  it('accepts a request signed by a certificate that chains to a trust anchor, fetching it once', async () => {
    const before = fetched.length;
    for (let i = 0; i < 3; i++) {
      const body = alexaBody();
      await verifier.verify(signedHeaders(body, good), Buffer.from(body), JSON.parse(body));
    }
    expect(fetched.length - before).toBe(1);
  });

  it('refuses a request without the signature headers', async () => {
    expect(await refusal({}, alexaBody())).toMatch(/SignatureCertChainUrl and Signature-256 headers are required/);
  });

  it.each([
    ['http://s3.amazonaws.com/echo.api/echo-api-cert-4.pem', /is not https/],
    ['https://notamazon.com/echo.api/echo-api-cert-4.pem', /is not on s3.amazonaws.com/],
    ['https://s3.amazonaws.com/EcHo.aPi/echo-api-cert-4.pem', /is not under \/echo.api\//],
    ['https://s3.amazonaws.com/invalid.path/echo-api-cert-4.pem', /is not under \/echo.api\//],
    ['https://s3.amazonaws.com/echo.api/../echo-api-cert-4.pem', /is not under \/echo.api\//],
    ['https://s3.amazonaws.com/echo.api/%2e%2e/echo-api-cert-4.pem', /is not under \/echo.api\//],
    ['https://s3.amazonaws.com:563/echo.api/echo-api-cert-4.pem', /names a port other than 443/],
    ['not a url', /is not a URL/],
  ])('refuses the certificate URL %s before fetching anything', async (url, message) => {
    const before = fetched.length;
    const body = alexaBody();
    expect(await refusal(signedHeaders(body, good, url), body)).toMatch(message);
    expect(fetched.length).toBe(before);
  });

  it('accepts the URL forms Amazon allows: upper-case scheme and host, port 443, a resolved ..', async () => {
    for (const url of [
      'HTTPS://s3.AmazonAWS.COM/echo.api/echo-api-cert-4.pem',
      'https://s3.amazonaws.com:443/echo.api/echo-api-cert-4.pem',
      'https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-4.pem',
    ]) {
      const body = alexaBody();
      await verifier.verify(signedHeaders(body, good, url), Buffer.from(body), JSON.parse(body));
    }
  });

  it('does not fetch a failing certificate URL again for a while, however many requests name it', async () => {
    const before = fetched.length;
    for (let i = 0; i < 5; i++) {
      const body = alexaBody();
      expect(await refusal(signedHeaders(body, good, 'https://s3.amazonaws.com/echo.api/missing.pem'), body)).toMatch(
        /could not be fetched/,
      );
    }
    expect(fetched.length - before).toBe(1);
  });

  it('refuses an expired certificate and one not valid yet', async () => {
    const expired = await ca.issue({ notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    const early = await ca.issue({ notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) });
    let body = alexaBody();
    expect(await refusal(signedHeaders(body, expired, await servedAs('/echo.api/expired.pem', expired)), body)).toMatch(/has expired/);
    body = alexaBody();
    expect(await refusal(signedHeaders(body, early, await servedAs('/echo.api/early.pem', early)), body)).toMatch(/is not valid yet/);
  });

  it('refuses a certificate that does not name echo-api.amazon.com', async () => {
    const other = await ca.issue({ dnsNames: ['echo-api.example.com'] });
    const body = alexaBody();
    expect(await refusal(signedHeaders(body, other, await servedAs('/echo.api/other-name.pem', other)), body)).toMatch(
      /does not name echo-api.amazon.com/,
    );
  });

  it('refuses a certificate from an untrusted CA', async () => {
    const untrusted = await otherCa.issue();
    const body = alexaBody();
    expect(await refusal(signedHeaders(body, untrusted, await servedAs('/echo.api/untrusted.pem', untrusted)), body)).toMatch(
      /does not chain to a trusted root/,
    );
  });

  it('refuses a body changed after signing', async () => {
    const body = alexaBody();
    const headers = signedHeaders(body, good);
    const changed = body.replace('LaunchRequest', 'IntentRequest');
    expect(await refusal(headers, changed)).toMatch(/signature does not match its body/);
  });

  it('refuses a timestamp 151 s old, and one 151 s ahead', async () => {
    for (const offset of [-151_000, 151_000]) {
      const body = alexaBody(new Date(Date.now() + offset).toISOString());
      expect(await refusal(signedHeaders(body, good), body)).toMatch(/more than 150 s from now/);
    }
  });
});
