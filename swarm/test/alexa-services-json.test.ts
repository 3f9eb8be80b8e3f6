import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, requireEngine } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from '../../apps/cli/test/helpers/build.js';
import { runCli, runCliOk, type CliOptions } from '../../apps/cli/test/helpers/cli.js';
import { createTestCa, signBody, type IssuedCertificate, type TestCa } from '../../apps/gateway/test/support/test-ca.js';

// funker-dispatch's own use, on Swarm: its services.json (naming a plain one-shot funker image) applied with the
// CLI, then the seed's curl of an Alexa HelloIntent, signed by a certificate the gateway trusts. The gateway runs
// from this repository's build in a container on the overlay network (the only place functions are reachable
// from), publishing its port to the host, where the CLI and curl run as a user's would.
const root = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);
const swarm = await requireEngine('swarm');

const RUN = randomBytes(3).toString('hex');
const IMAGE = `dispatch-test/hellointent-funker:${RUN}`;
const GATEWAY = `dispatch-alexa-gateway-${RUN}`;
const TOKEN = randomBytes(16).toString('hex');
const APP_ID = 'amzn1.ask.skill.00000000-0000-0000-0000-000000000000';
const CHAIN_URL = 'https://s3.amazonaws.com/echo.api/echo-api-cert-4.pem';
const SEED_RESPONSE =
  '{"version":"1.0","response":{"outputSpeech":{"type":"PlainText","text":"There\'s currently 6 people in space"},"card":{"content":"There\'s currently 6 people in space","title":"People in space","type":"Simple"},"shouldEndSession":true},"sessionAttributes":{}}';
const nodeImage = process.env.DISPATCH_NODE_IMAGE ?? process.env.DISPATCH_LOCAL_NODE_IMAGE ?? 'dispatch-local/node:20';

describe.skipIf(!swarm)("funker-dispatch's services.json and Alexa exchange on Docker Swarm", { timeout: 240_000 }, () => {
  let work: string;
  let port: number;
  let ca: TestCa;
  let certificate: IssuedCertificate;
  let cli: CliOptions;
  const config = ['--config', './config.json'];

  beforeAll(async () => {
    await ensureCliBuilt();
    work = await mkdtemp(join(tmpdir(), 'dispatch-alexa-swarm-'));
    ca = await createTestCa();
    certificate = await ca.issue();
    await mkdir(join(work, 'certificates/echo.api'), { recursive: true });
    await writeFile(join(work, 'certificates/echo.api/echo-api-cert-4.pem'), certificate.chainPem);
    await writeFile(join(work, 'trust-anchors.pem'), ca.rootPem);

    await exec('docker', ['build', '-q', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-t', IMAGE, join(root, 'examples/alexa-skill/funker')]);
    port = await freePort();
    await exec('docker', [
      'run',
      '-d',
      '--name',
      GATEWAY,
      '--network',
      process.env.DISPATCH_SWARM_NETWORK ?? 'dispatch',
      '-p',
      `127.0.0.1:${port}:8080`,
      '-v',
      `${root}:${root}:ro`,
      '-v',
      `${work}:${work}`,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-w',
      root,
      '-e',
      'DISPATCH_BACKEND=swarm',
      '-e',
      'DISPATCH_HOST=0.0.0.0',
      '-e',
      'DISPATCH_PORT=8080',
      '-e',
      `DISPATCH_TOKEN=${TOKEN}`,
      '-e',
      `DISPATCH_DATA_DIR=${work}/data`,
      '-e',
      'DISPATCH_SEED_DEFAULTS=false',
      '-e',
      `DISPATCH_ALEXA_TRUST_ANCHORS=${work}/trust-anchors.pem`,
      '-e',
      `DISPATCH_ALEXA_CERT_MIRROR=file://${work}/certificates/`,
      nodeImage,
      'node',
      'apps/gateway/dist/server.js',
    ]);
    const deadline = Date.now() + 60_000;
    while (
      (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status !== 200
    ) {
      if (Date.now() > deadline) {
        const { stdout, stderr } = await exec('docker', ['logs', GATEWAY]).catch(() => ({ stdout: '', stderr: '' }));
        throw new Error(`the gateway did not answer /healthz:\n${stdout}${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await writeFile(
      join(work, 'config.json'),
      JSON.stringify({ current: 'swarm', contexts: { swarm: { host: '127.0.0.1', port, scheme: 'http', insecure: true, token: TOKEN } } }),
    );
    await writeFile(
      join(work, 'services.json'),
      JSON.stringify({ version: '1.0', services: [{ type: 'alexa', provider: 'amazon', service: 'HelloIntent', image: IMAGE }] }, null, 2),
    );
    cli = { cwd: work, env: { HOME: work }, timeoutMs: 180_000 };
  }, 600_000);

  afterAll(async () => {
    if (cli) await runCli([...config, 'delete', '-f', 'services.json'], cli).catch(() => undefined);
    await exec('docker', ['rm', '-f', GATEWAY]).catch(() => undefined);
    await exec('docker', ['image', 'rm', '-f', IMAGE]).catch(() => undefined);
    await ca?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('dispatch apply -f services.json creates the funker function and the alexa endpoint', async () => {
    const out = await runCliOk([...config, 'apply', '-f', 'services.json', '--application-id', APP_ID, '--wait'], cli);
    expect(out.trim().split('\n')).toEqual(['Created function: hellointent', 'Created endpoint: alexa']);
    const fn = JSON.parse(await runCliOk([...config, 'get', 'function', 'hellointent', '-o', 'json'], cli)) as Record<string, unknown>;
    expect(fn).toMatchObject({ image: IMAGE, protocol: 'funker', status: 'READY' });
    const { stdout } = await exec('docker', ['service', 'ls', '--filter', 'label=dispatch.function=hellointent', '--format', '{{.Name}}']);
    expect(stdout.trim()).toBe('hellointent');
  });

  it("answers the seed's signed curl with the seed's documented body, through the one-shot funker image", async () => {
    const sample = JSON.parse(await readFile(join(root, 'examples/alexa-skill/sample-request.json'), 'utf8')) as {
      request: { timestamp: string };
    };
    sample.request.timestamp = new Date().toISOString();
    const body = JSON.stringify(sample);
    await writeFile(join(work, 'sample_request.json'), body);
    // One-shot images exit after each call and Swarm starts them again: ask twice to cross a restart.
    for (let i = 0; i < 2; i++) {
      const { stdout } = await exec(
        'curl',
        [
          '-sS',
          '-H',
          'Content-Type: application/json',
          '-H',
          `SignatureCertChainUrl: ${CHAIN_URL}`,
          '-H',
          `Signature-256: ${signBody(body, certificate.keyPem)}`,
          '-X',
          'POST',
          `http://localhost:${port}`,
          '-d',
          '@./sample_request.json',
        ],
        { cwd: work },
      );
      expect(stdout).toBe(SEED_RESPONSE);
    }
    // Unsigned, the same request is refused.
    const { stdout } = await exec(
      'curl',
      ['-sS', '-H', 'Content-Type: application/json', '-X', 'POST', `http://localhost:${port}`, '-d', '@./sample_request.json'],
      { cwd: work },
    );
    expect(JSON.parse(stdout)).toMatchObject({ code: 400, message: expect.stringMatching(/Signature-256 headers are required/) });
  });
});
