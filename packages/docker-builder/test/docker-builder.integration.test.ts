import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSource } from '@dispatch/core/source';
import { packFixture, requireEngine } from '@dispatch/driver-testkit';
import { createDockerImageBuilder } from '../src/index.js';
import { localBaseImageArgs } from './local-images.js';
import type { DockerImageBuilder } from '../src/index.js';

const engine = await requireEngine('docker');
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;

describe.skipIf(!engine)('docker image builder on the real engine', () => {
  const docker = new Dockerode();
  const created: string[] = [];
  const dirs: string[] = [];
  let builder: DockerImageBuilder;
  const nodeBase = `dispatch-test/nodejs-base-${run}:1`;
  const pythonBase = `dispatch-test/python3-base-${run}:1`;

  async function sourceOf(file: string, text: string): Promise<Buffer> {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-builder-'));
    dirs.push(dir);
    await writeFile(join(dir, file), text, { mode: 0o600 });
    return packSource(join(dir, file));
  }

  async function runOnce(image: string, cmd: string[]): Promise<string> {
    const container = await docker.createContainer({ Image: image, Cmd: cmd, HostConfig: { AutoRemove: false } });
    try {
      await container.start();
      await container.wait();
      const logs = await container.logs({ stdout: true, stderr: true });
      return logs.toString('utf8');
    } finally {
      await container.remove({ force: true });
    }
  }

  beforeAll(async () => {
    builder = createDockerImageBuilder({ docker, baseImageArgs: localBaseImageArgs() });
  });

  afterAll(async () => {
    for (const image of created.reverse()) await builder.removeImage(image);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('builds both base images and streams the build output', async () => {
    const lines: string[] = [];
    await builder.buildBaseImage('nodejs', nodeBase, (line) => lines.push(line));
    created.push(nodeBase);
    await builder.buildBaseImage('python3', pythonBase);
    created.push(pythonBase);
    expect(await builder.imageExists(nodeBase)).toBe(true);
    expect(await builder.imageExists(pythonBase)).toBe(true);
    expect(lines.some((line) => line.startsWith('Step 1/'))).toBe(true);
    const labels = (await docker.getImage(nodeBase).inspect()).Config.Labels ?? {};
    expect(labels['dispatch.language']).toBe('nodejs');
  }, 120_000);

  it('builds a function image with a unique tag per revision, whose handler runs', async () => {
    const source = await packFixture('nodejs');
    const first = await builder.buildFunctionImage({ name: `b-${run}`, revision: 1, imageURL: nodeBase, source, handler: 'handler.js' });
    const second = await builder.buildFunctionImage({ name: `b-${run}`, revision: 2, imageURL: nodeBase, source, handler: 'handler.js' });
    created.push(first, second);
    expect(first).toMatch(new RegExp(`^dispatch/fn-b-${run}:r1-[0-9a-f]{12}$`));
    expect(second).not.toBe(first);
    const check = await runOnce(first, ['/dispatch/server', '--check']);
    expect(check).not.toMatch(/Error/);
  }, 120_000);

  it('builds a source file written with mode 0600, since the context sets 0644', async () => {
    const source = await sourceOf('hello.py', 'def handle(context, payload):\n    return payload\n');
    const image = await builder.buildFunctionImage({
      name: `p-${run}`,
      revision: 1,
      imageURL: pythonBase,
      source,
      handler: 'hello.handle',
    });
    created.push(image);
    expect(await builder.imageExists(image)).toBe(true);
  }, 120_000);

  it("fails the build of a handler that cannot load with the loader's line", async () => {
    const broken = await packFixture('python3-broken');
    const error = await builder
      .buildFunctionImage({ name: `x-${run}`, revision: 1, imageURL: pythonBase, source: broken, handler: 'handler.handle' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ImageBuildError', code: 502 });
    expect((error as Error).message).toMatch(
      /^\[docker\] function "x-[a-z0-9]+": the handler cannot load: .*ModuleNotFoundError: No module named 'nope'$/,
    );
    expect((error as Error).message).not.toContain('\u001b');
    const js = await builder
      .buildFunctionImage({
        name: `y-${run}`,
        revision: 1,
        imageURL: nodeBase,
        source: await packFixture('nodejs-broken'),
        handler: 'handler.js',
      })
      .catch((e: unknown) => e);
    expect((js as Error).message).toMatch(/the handler cannot load: .*SyntaxError/);
  }, 120_000);

  it('builds an image with a Debian system package and an npm manifest', async () => {
    const lines: string[] = [];
    const { imageURL } = await builder.buildImage(
      {
        name: `deps-${run}`,
        language: 'nodejs',
        baseImageURL: nodeBase,
        runtimeDependencies: JSON.stringify({ name: 'deps', version: '1.0.0', dependencies: { 'is-odd': '3.0.1' } }),
        systemPackages: [{ name: 'jq' }],
      },
      (line) => lines.push(line),
    );
    created.push(imageURL);
    expect(imageURL).toMatch(new RegExp(`^dispatch/image-deps-${run}:[0-9a-f]{12}$`));
    const out = await runOnce(imageURL, ['sh', '-c', 'jq --version && node -e "console.log(require(\'is-odd\')(3))"']);
    expect(out).toMatch(/jq-1\.\d/);
    expect(out).toContain('true');
  }, 240_000);

  it('fails a build with the failing line as the message', async () => {
    const error = await builder
      .buildImage({
        name: `bad-${run}`,
        language: 'python3',
        baseImageURL: pythonBase,
        runtimeDependencies: 'no-such-package-dispatch==1.0\n--no-index\n',
        systemPackages: [],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ImageBuildError', code: 502 });
    expect((error as Error).message).toMatch(/^\[docker\] build of image "bad-[a-z0-9]+" failed: .*no-such-package-dispatch/i);
    expect((error as Error).message).toContain('returned a non-zero code: 1');
  }, 120_000);

  it('rejects a system package name that is not a Debian name before building', async () => {
    await expect(
      builder.buildImage({
        name: `inj-${run}`,
        language: 'nodejs',
        baseImageURL: nodeBase,
        runtimeDependencies: '',
        systemPackages: [{ name: 'jq; rm -rf /' }],
      }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', code: 400 });
  });

  it('fails a build on a base image that does not exist with the engine message', async () => {
    const error = await builder
      .buildImage({
        name: `nobase-${run}`,
        language: 'nodejs',
        baseImageURL: 'dispatch-test/no-such-base:0',
        runtimeDependencies: '',
        systemPackages: [],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 502 });
    expect((error as Error).message).toMatch(/dispatch-test\/no-such-base/);
  }, 60_000);

  it('answers imageExists false and removes a missing image without complaint', async () => {
    expect(await builder.imageExists('dispatch-test/nothing-here:0')).toBe(false);
    await expect(builder.removeImage('dispatch-test/nothing-here:0')).resolves.toBeUndefined();
  });

  it('says the engine is unreachable when its socket is dead', async () => {
    const dead = createDockerImageBuilder({ docker: new Dockerode({ socketPath: join(tmpdir(), `no-docker-${run}.sock`) }) });
    const error = await dead.imageExists('anything').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BackendError', code: 502 });
    expect((error as Error).message).toMatch(/^\[docker\] the Docker engine is unreachable at .*no-docker-.*\.sock \(ENOENT\)/);
  });
});
