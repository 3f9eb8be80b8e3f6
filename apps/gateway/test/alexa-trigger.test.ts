import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorCertificateFetcher } from '../src/triggers/certificate-fetchers.js';
import { EXAMPLES, createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';
import { createTestCa, signBody, type IssuedCertificate, type TestCa } from './support/test-ca.js';

const exec = promisify(execFile);
const APP_ID = 'amzn1.ask.skill.00000000-0000-0000-0000-000000000000';
const CHAIN_URL = 'https://s3.amazonaws.com/echo.api/echo-api-cert-4.pem';
const DAY = 24 * 3600_000;
/** The response body funker-dispatch's README shows for this exchange. */
const SEED_RESPONSE =
  '{"version":"1.0","response":{"outputSpeech":{"type":"PlainText","text":"There\'s currently 6 people in space"},"card":{"content":"There\'s currently 6 people in space","title":"People in space","type":"Simple"},"shouldEndSession":true},"sessionAttributes":{}}';

interface SampleRequest {
  session: { new: boolean; application: { applicationId: string } };
  request: { type: string; timestamp: string; intent?: { name: string } };
}

/** The example's sample request, re-stamped now (Alexa's requests are only good for 150 s). */
async function sampleRequest(change: (request: SampleRequest) => void = () => undefined): Promise<string> {
  const request = JSON.parse(await readFile(join(EXAMPLES, 'alexa-skill/sample-request.json'), 'utf8')) as SampleRequest;
  request.request.timestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  change(request);
  return JSON.stringify(request);
}

describe('the alexa trigger on the local backend', () => {
  let gateway: TestGateway;
  let url: string;
  let ca: TestCa;
  let otherCa: TestCa;
  let certificate: IssuedCertificate;
  let certificates: string;

  /** Serves `issued` at `path` under https://s3.amazonaws.com (through the mirror) and answers its URL. */
  async function publish(path: string, issued: IssuedCertificate): Promise<string> {
    await mkdir(join(certificates, 'echo.api'), { recursive: true });
    await writeFile(join(certificates, path), issued.chainPem);
    return `https://s3.amazonaws.com/${path}`;
  }

  function post(body: string, headers: Record<string, string>, path = '/') {
    return gateway.app.inject({ method: 'POST', url: path, payload: body, headers: { 'content-type': 'application/json', ...headers } });
  }

  const signed = (body: string, issued = certificate, chainUrl = CHAIN_URL) => ({
    signaturecertchainurl: chainUrl,
    'signature-256': signBody(body, issued.keyPem),
  });

  const runsOf = async (fn: string) => (await gateway.dispatch.runs.list({ functionName: fn, limit: 1000 })).length;

  beforeAll(async () => {
    ca = await createTestCa();
    otherCa = await createTestCa('Untrusted Root');
    certificate = await ca.issue();
    certificates = await mkdtemp(join(tmpdir(), 'dispatch-alexa-certificates-'));
    await publish('echo.api/echo-api-cert-4.pem', certificate);
    // The gateway trusts the test CA and reads certificates from the folder instead of S3.
    gateway = await startTestGateway({
      memoryStore: true,
      token: 'admin-token',
      triggers: {
        alexa: { trustAnchors: [new X509Certificate(ca.rootPem)], fetchCertificate: mirrorCertificateFetcher(`file://${certificates}/`) },
      },
    });
    for (const [name, file] of [
      ['hello-intent', 'hello-intent.js'],
      ['hostname-intent', 'hostname-intent.js'],
      ['launch', 'launch.js'],
    ] as const) {
      await createFunction(gateway, { name, image: 'nodejs', sourcePath: join(EXAMPLES, 'alexa-skill', file) });
    }
    await createFunction(gateway, {
      name: 'whoami',
      image: 'nodejs',
      sourcePath: await writeFunction(gateway, 'whoami.js', "module.exports = () => 'You are a test';"),
    });
    await createFunction(gateway, {
      name: 'broken',
      image: 'nodejs',
      sourcePath: await writeFunction(gateway, 'broken.js', "module.exports = () => { throw new Error('no luck'); };"),
    });
    await createFunction(gateway, {
      name: 'slow',
      image: 'nodejs',
      sourcePath: await writeFunction(
        gateway,
        'slow.js',
        'module.exports = () => new Promise((resolve) => setTimeout(() => resolve("late"), 5000));',
      ),
    });
    const endpoints = [
      {
        name: 'alexa-skill',
        trigger: 'alexa',
        methods: ['POST'],
        uris: ['/'],
        triggerSettings: {
          applicationIds: [APP_ID],
          intents: { HelloIntent: 'hello-intent', HostnameIntent: 'hostname-intent', BrokenIntent: 'broken' },
          launch: 'launch',
        },
      },
      {
        name: 'alexa-slow',
        trigger: 'alexa',
        methods: ['POST'],
        uris: ['/slow'],
        function: 'slow',
        triggerSettings: { applicationIds: [APP_ID], timeoutMs: 500 },
      },
    ];
    for (const endpoint of endpoints) {
      const response = await gateway.request({ method: 'POST', url: '/v1/endpoint', payload: endpoint });
      expect(response.statusCode, response.body).toBe(201);
    }
    url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
    if (certificates) await rm(certificates, { recursive: true, force: true });
    await ca?.remove();
    await otherCa?.remove();
  });

  it("answers the seed's curl exchange with the seed's documented body", async () => {
    const body = await sampleRequest();
    const file = join(gateway.dataDir, 'sample_request.json');
    await writeFile(file, body);
    const headers = signed(body);
    const { stdout } = await exec('curl', [
      '-sS',
      '-H',
      'Content-Type: application/json',
      '-H',
      `SignatureCertChainUrl: ${headers.signaturecertchainurl}`,
      '-H',
      `Signature-256: ${headers['signature-256']}`,
      '-X',
      'POST',
      url,
      '-d',
      `@${file}`,
    ]);
    expect(stdout).toBe(SEED_RESPONSE);
    expect(await runsOf('hello-intent')).toBe(1);
  });

  describe('refuses, without running anything', () => {
    async function expectRefused(body: string, headers: Record<string, string>, status: number, message: RegExp): Promise<void> {
      const before = await runsOf('hello-intent');
      const response = await post(body, headers);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json()).toMatchObject({ code: status, message: expect.stringMatching(message) });
      expect(await runsOf('hello-intent')).toBe(before);
    }

    it('a request without signature headers', async () => {
      await expectRefused(await sampleRequest(), {}, 400, /SignatureCertChainUrl and Signature-256 headers are required/);
    });

    it.each([
      ['http://s3.amazonaws.com/echo.api/echo-api-cert-4.pem', /is not https/],
      ['https://notamazon.com/echo.api/echo-api-cert-4.pem', /is not on s3.amazonaws.com/],
      ['https://s3.amazonaws.com/EcHo.aPi/echo-api-cert-4.pem', /is not under \/echo.api\//],
      ['https://s3.amazonaws.com/echo.api/../echo-api-cert-4.pem', /is not under \/echo.api\//],
      ['https://s3.amazonaws.com:563/echo.api/echo-api-cert-4.pem', /names a port other than 443/],
    ])('a certificate URL %s', async (chainUrl, message) => {
      const body = await sampleRequest();
      await expectRefused(body, signed(body, certificate, chainUrl), 400, message);
    });

    it('an expired certificate, and one not valid yet', async () => {
      const expired = await ca.issue({ notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
      let body = await sampleRequest();
      await expectRefused(body, signed(body, expired, await publish('echo.api/expired.pem', expired)), 400, /has expired/);
      const early = await ca.issue({ notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) });
      body = await sampleRequest();
      await expectRefused(body, signed(body, early, await publish('echo.api/early.pem', early)), 400, /is not valid yet/);
    });

    it('a certificate not naming echo-api.amazon.com', async () => {
      const other = await ca.issue({ dnsNames: ['echo-api.example.com'] });
      const body = await sampleRequest();
      await expectRefused(
        body,
        signed(body, other, await publish('echo.api/other-name.pem', other)),
        400,
        /does not name echo-api.amazon.com/,
      );
    });

    it('a certificate from an untrusted CA', async () => {
      const untrusted = await otherCa.issue();
      const body = await sampleRequest();
      await expectRefused(
        body,
        signed(body, untrusted, await publish('echo.api/untrusted.pem', untrusted)),
        400,
        /does not chain to a trusted root/,
      );
    });

    it('a body changed after signing', async () => {
      const body = await sampleRequest();
      await expectRefused(body.replace('"new":true', '"new":false'), signed(body), 400, /signature does not match its body/);
    });

    it('a timestamp 151 s old', async () => {
      const body = await sampleRequest((request) => (request.request.timestamp = new Date(Date.now() - 151_000).toISOString()));
      await expectRefused(body, signed(body), 400, /more than 150 s from now/);
    });

    it('an applicationId not allowed (401)', async () => {
      const body = await sampleRequest((request) => (request.session.application.applicationId = 'amzn1.ask.skill.someone-else'));
      await expectRefused(body, signed(body), 401, /applicationId amzn1.ask.skill.someone-else is not allowed/);
    });

    it('a request missing a field, naming it (400)', async () => {
      const body = await sampleRequest((request) => delete request.request.intent);
      await expectRefused(body, signed(body), 400, /request.intent.name is missing/);
    });
  });

  describe('routes and answers', () => {
    async function say(change: (request: SampleRequest) => void, path = '/') {
      const body = await sampleRequest(change);
      const response = await post(body, signed(body), path);
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as {
        version: string;
        response: { outputSpeech?: { text: string }; card?: { title: string; content: string }; shouldEndSession?: boolean };
      };
    }

    it('a LaunchRequest to the launch function, keeping the session open', async () => {
      const answer = await say((request) => {
        request.request.type = 'LaunchRequest';
        delete request.request.intent;
      });
      expect(answer.response).toEqual({
        outputSpeech: { type: 'PlainText', text: 'Welcome to the Dispatch demo. Ask me how many people are in space.' },
        shouldEndSession: false,
      });
    });

    it('a {speech, card} reply wrapped into an Alexa response', async () => {
      const answer = await say((request) => (request.request.intent = { name: 'HostnameIntent' }));
      expect(answer.response.outputSpeech?.text).toMatch(/^My hostname is /);
      expect(answer.response.card).toMatchObject({ type: 'Simple', title: 'Hostname' });
      expect(answer.response.shouldEndSession).toBe(true);
    });

    it('an intent named like a function to that function (the funker-dispatch rule), its string reply spoken', async () => {
      const answer = await say((request) => (request.request.intent = { name: 'whoami' }));
      expect(answer.response.outputSpeech?.text).toBe('You are a test');
    });

    it('an unknown intent with a spoken message', async () => {
      const answer = await say((request) => (request.request.intent = { name: 'CaptainsIntent' }));
      expect(answer.response.outputSpeech?.text).toBe('Sorry, this skill cannot answer CaptainsIntent yet.');
    });

    it('a SessionEndedRequest without a function with an empty response', async () => {
      const answer = await say((request) => {
        request.request.type = 'SessionEndedRequest';
        delete request.request.intent;
      });
      expect(answer).toEqual({ version: '1.0', response: {} });
    });

    it('a failing function with a spoken error', async () => {
      const answer = await say((request) => (request.request.intent = { name: 'BrokenIntent' }));
      expect(answer.response.outputSpeech?.text).toMatch(/^Sorry, the skill could not answer/);
    });

    it('a function slower than the endpoint allows with a spoken error, in time', async () => {
      const started = Date.now();
      const answer = await say(() => undefined, '/slow');
      expect(answer.response.outputSpeech?.text).toMatch(/^Sorry, the skill could not answer/);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});

describe('the alexa trigger with verification off (development only)', () => {
  it('warns loudly at start and serves unsigned requests', async () => {
    const lines: string[] = [];
    const gateway = await startTestGateway({
      memoryStore: true,
      loggerInstance: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }),
      triggers: { alexa: { verify: false } },
    });
    try {
      expect(lines.join('')).toMatch(/Alexa request verification is OFF/);
      await createFunction(gateway, { name: 'hello-intent', image: 'nodejs', sourcePath: join(EXAMPLES, 'alexa-skill/hello-intent.js') });
      const created = await gateway.request({
        method: 'POST',
        url: '/v1/endpoint',
        // No methods given: a trigger endpoint answers POST.
        payload: {
          name: 'skill',
          trigger: 'alexa',
          uris: ['/'],
          triggerSettings: { applicationIds: [APP_ID], intents: { HelloIntent: 'hello-intent' } },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const response = await gateway.app.inject({
        method: 'POST',
        url: '/',
        payload: await sampleRequest(),
        headers: { 'content-type': 'application/json' },
      });
      expect(response.body).toBe(SEED_RESPONSE);
    } finally {
      await gateway.close();
    }
  }, 120_000);
});
