import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packSource } from '@dispatch/core/source';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureHandler,
  followProgress,
  packFixture,
  pushLanguageImages,
  registryAuthConfig,
  requireEngine,
  requireRegistry,
  startTestRegistry,
} from '@dispatch/driver-testkit';
import type { TestRegistry } from '@dispatch/driver-testkit';
import { RegistryClient, createRegistryImageBuilder, resolveImage } from '../src/index.js';

// Function images assembled in a real registry (Debian's docker-registry on loopback), with a login and without,
// then pulled and run by the real Docker engine: nothing here is a stand-in but the language images, which
// cannot be pulled on these machines and are pushed to the registry from the local ones first.
const engine = await requireEngine('docker');
const registryPresent = await requireRegistry({ auth: true });
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;

describe.skipIf(!engine || !registryPresent).each([
  { auth: false as const, scheme: 'htpasswd' as const, label: 'an anonymous registry' },
  { auth: true as const, scheme: 'htpasswd' as const, label: 'a registry with a login (htpasswd, Basic)' },
  { auth: true as const, scheme: 'token' as const, label: 'a registry with token authentication (Bearer)' },
])('images assembled in $label', ({ auth, scheme }) => {
  const docker = new Dockerode();
  const login = { username: 'dispatch', password: `secret-${run}` };
  const pulled: string[] = [];
  const containers: Dockerode.Container[] = [];
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry(auth ? { auth: login, scheme } : {});
    await pushLanguageImages(registry, docker);
  }, 180_000);

  afterAll(async () => {
    for (const container of containers) await container.remove({ force: true }).catch(() => undefined);
    for (const image of pulled)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    await registry?.stop();
  });

  function builder(credentials = auth ? login : {}) {
    return createRegistryImageBuilder({
      registry: { url: registry.address, repository: 'dispatch', ...credentials },
      languageImages: { nodejs: `${registry.address}/lang/node:20`, python3: `${registry.address}/lang/python:3` },
    });
  }

  /** docker pull of the digest, docker run in HTTP mode, one call: the payload the function answered. */
  async function runAndCall(image: string, payload: unknown): Promise<unknown> {
    await followProgress(docker, await docker.pull(image, { authconfig: registryAuthConfig(registry) }));
    pulled.push(image);
    const container = await docker.createContainer({
      Image: image,
      Env: ['DISPATCH_MODE=http'],
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    containers.push(container);
    await container.start();
    const port = (await container.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const answer = await fetch(`http://127.0.0.1:${port}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ context: {}, payload }),
        });
        return ((await answer.json()) as { payload: unknown }).payload;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
  }

  it.each(['nodejs', 'python3'] as const)(
    'assembles a %s base and function image whose digest runs under Docker',
    async (language) => {
      const images = builder();
      const lines: string[] = [];
      const baseImage = images.defaultBaseImages()[language];
      expect(baseImage).toMatch(new RegExp(`^${registry.address}/dispatch/${language}-base:`));
      await images.prepareBaseImage({ name: `${language}-base`, language, imageURL: baseImage }, (line) => lines.push(line));

      const started = performance.now();
      const image = await images.buildFunctionImage(
        {
          name: `hello-${language}`,
          revision: 1,
          imageURL: baseImage,
          source: await packFixture(language),
          handler: fixtureHandler(language),
        },
        (line) => lines.push(line),
      );
      const took = performance.now() - started;
      expect(image).toMatch(new RegExp(`^${registry.address}/dispatch/fn-hello-${language}@sha256:[a-f0-9]{64}$`));
      expect(took).toBeLessThan(5_000);
      expect(lines.some((line) => line.includes('assembling'))).toBe(true);

      expect(await runAndCall(image, { action: 'hello', name: 'Jon' })).toEqual({ myField: 'Hello, Jon from Nowhere' });
    },
    120_000,
  );

  it('gives the same digest for the same source, and a new one when the source changes', async () => {
    const images = builder();
    const base = images.defaultBaseImages().nodejs;
    await images.prepareBaseImage({ name: 'nodejs-base', language: 'nodejs', imageURL: base });
    const spec = { name: 'same', revision: 1, imageURL: base, source: await packFixture('nodejs'), handler: 'handler.js' };
    const first = await images.buildFunctionImage(spec);
    expect(await images.buildFunctionImage(spec)).toBe(first);
    expect(await images.buildFunctionImage({ ...spec, source: await packFixture('nodejs-v2') })).not.toBe(first);
  }, 60_000);

  it('fails with a clear reason when the base image is not in the registry', async () => {
    await expect(
      builder().buildFunctionImage({
        name: 'orphan',
        revision: 1,
        imageURL: `${registry.address}/dispatch/nothing:1`,
        source: await packFixture('nodejs'),
        handler: 'handler.js',
      }),
    ).rejects.toThrow(`image ${registry.address}/dispatch/nothing:1 not found in the registry`);
  });

  // Declared only where they apply (an anonymous registry has no credentials to refuse), so none is reported skipped.
  if (auth)
    it("refuses wrong credentials with the registry's answer", async () => {
      const images = builder({ username: 'dispatch', password: 'wrong' });
      await expect(
        images.prepareBaseImage({ name: 'nodejs-base', language: 'nodejs', imageURL: images.defaultBaseImages().nodejs }),
      ).rejects.toThrow(
        scheme === 'token'
          ? /token service refused the credentials \(HTTP 401\)/
          : /denied access \(HTTP 401; the credentials were refused\)/,
      );
      await expect(
        builder({}).prepareBaseImage({ name: 'nodejs-base', language: 'nodejs', imageURL: images.defaultBaseImages().nodejs }),
      ).rejects.toThrow(/no credentials were given/);
    });

  if (auth && scheme === 'htpasswd')
    it('installs npm and pure-Python dependencies without a daemon, as a layer the function uses', async () => {
      const images = builder();
      const work = await mkdtemp(join(tmpdir(), 'dispatch-deps-test-'));
      try {
        const bases = images.defaultBaseImages();
        await images.prepareBaseImage({ name: 'nodejs-base', language: 'nodejs', imageURL: bases.nodejs });
        await images.prepareBaseImage({ name: 'python3-base', language: 'python3', imageURL: bases.python3 });
        const lines: string[] = [];
        const node = await images.buildImage(
          {
            name: 'with-npm',
            language: 'nodejs',
            baseImageURL: bases.nodejs,
            runtimeDependencies: JSON.stringify({ dependencies: { 'is-number': '7.0.0' } }),
            systemPackages: [],
          },
          (line) => lines.push(line),
        );
        expect(node.imageURL).toMatch(new RegExp(`^${registry.address}/dispatch/image-with-npm@sha256:`));
        expect(lines.some((line) => line.includes('npm install --omit=dev --ignore-scripts'))).toBe(true);
        // The same manifest on the same base is found in the registry, not installed again.
        const again: string[] = [];
        expect(
          (
            await images.buildImage(
              {
                name: 'with-npm',
                language: 'nodejs',
                baseImageURL: bases.nodejs,
                runtimeDependencies: JSON.stringify({ dependencies: { 'is-number': '7.0.0' } }),
                systemPackages: [],
              },
              (line) => again.push(line),
            )
          ).imageURL,
        ).toBe(node.imageURL);
        expect(again).toEqual([]);

        await writeFile(
          join(work, 'uses-npm.js'),
          "const isNumber = require('is-number');\nmodule.exports = (context, payload) => ({ number: isNumber(payload.value) });\n",
        );
        const nodeFn = await images.buildFunctionImage({
          name: 'uses-npm',
          revision: 1,
          imageURL: node.imageURL,
          source: await packSource(join(work, 'uses-npm.js')),
          handler: 'uses-npm.js',
        });
        expect(await runAndCall(nodeFn, { value: '42' })).toEqual({ number: true });

        // PyPI is unreachable here: a wheel made on the spot, named by path, as a requirements.txt may.
        const wheel = buildWheel(work);
        const python = await images.buildImage({
          name: 'with-pip',
          language: 'python3',
          baseImageURL: bases.python3,
          runtimeDependencies: `${wheel}\n`,
          systemPackages: [],
        });
        await writeFile(
          join(work, 'uses_pip.py'),
          'import dispatch_wheel_fixture\n\ndef handle(context, payload):\n    return {"answer": dispatch_wheel_fixture.answer()}\n',
        );
        const pyFn = await images.buildFunctionImage({
          name: 'uses-pip',
          revision: 1,
          imageURL: python.imageURL,
          source: await packSource(join(work, 'uses_pip.py')),
          handler: 'uses_pip.handle',
        });
        expect(await runAndCall(pyFn, {})).toEqual({ answer: 42 });

        await expect(
          images.buildImage({
            name: 'with-apt',
            language: 'python3',
            baseImageURL: bases.python3,
            runtimeDependencies: '',
            systemPackages: [{ name: 'jq', version: '' }],
          }),
        ).rejects.toThrow('system packages need a build, and this backend assembles images in the registry without one');
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }, 180_000);

  it('picks the platform of a multi-platform index', async () => {
    const client = new RegistryClient({ registry: registry.address, credentials: auth ? login : {} });
    const amd = await resolveImage(client, 'lang/node', '20', { os: 'linux', architecture: 'amd64' });
    // A second platform: the same layers under a config that says arm64 (enough to tell which one was picked).
    const armConfig = Buffer.from(JSON.stringify({ ...amd.config, architecture: 'arm64' }));
    const armConfigDigest = await client.putBlob('lang/node', armConfig);
    const armManifest = Buffer.from(
      JSON.stringify({ ...amd.manifest, config: { ...amd.manifest.config, digest: armConfigDigest, size: armConfig.length } }),
    );
    const armDigest = await client.putManifest('lang/node', 'arm', armManifest, amd.manifestMediaType);
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: amd.manifestMediaType,
          digest: armDigest,
          size: armManifest.length,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
        { mediaType: amd.manifestMediaType, digest: amd.manifestDigest, size: 0, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    };
    index.manifests[1]!.size = (await client.getManifest('lang/node', amd.manifestDigest)).body.length;
    await client.putManifest('lang/node', 'multi', Buffer.from(JSON.stringify(index)), index.mediaType);

    expect((await resolveImage(client, 'lang/node', 'multi', { os: 'linux', architecture: 'amd64' })).manifestDigest).toBe(
      amd.manifestDigest,
    );
    const arm = await resolveImage(client, 'lang/node', 'multi', { os: 'linux', architecture: 'arm64' });
    expect(arm.config.architecture).toBe('arm64');
    await expect(resolveImage(client, 'lang/node', 'multi', { os: 'linux', architecture: 's390x' })).rejects.toThrow(
      'has no linux/s390x variant (it has: linux/arm64/v8, linux/amd64)',
    );
  });
});

/** A pure-Python wheel made with the standard library only (no `wheel` package, no index). */
function buildWheel(dir: string): string {
  const script = `
import base64, hashlib, os, sys, zipfile
name, version = "dispatch_wheel_fixture", "1.0"
path = os.path.join(sys.argv[1], "%s-%s-py3-none-any.whl" % (name, version))
files = {
    "%s.py" % name: "def answer():\\n    return 42\\n",
    "%s-%s.dist-info/METADATA" % (name, version): "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (name, version),
    "%s-%s.dist-info/WHEEL" % (name, version): "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(path, "w") as wheel:
    for file, text in files.items():
        data = text.encode()
        wheel.writestr(file, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (file, digest, len(data)))
    record_file = "%s-%s.dist-info/RECORD" % (name, version)
    record.append(record_file + ",,")
    wheel.writestr(record_file, "\\n".join(record) + "\\n")
print(path)
`;
  return execFileSync('python3', ['-c', script, dir], { encoding: 'utf8' }).trim();
}
