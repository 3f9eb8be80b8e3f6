import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packFixture, requireEngine, requireRegistry, startTestRegistry } from '@dispatch/driver-testkit';
import type { TestRegistry } from '@dispatch/driver-testkit';
import { createDockerImageBuilder, registryFromEnv } from '../src/index.js';
import { localBaseImageArgs } from './local-images.js';

// Pushing to a real registry: Debian's docker-registry (a registry v2 server) on loopback, which the engine
// accepts over plain HTTP (127.0.0.0/8 is an insecure registry by default).
const engine = await requireEngine('docker');
const hasRegistry = await requireRegistry();
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;

describe.skipIf(!engine || !hasRegistry)('pushing built images to a registry', () => {
  const docker = new Dockerode();
  const images: string[] = [];
  let registry: TestRegistry;
  let address: string;

  beforeAll(async () => {
    registry = await startTestRegistry();
    address = registry.address;
  }, 30_000);

  afterAll(async () => {
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    await registry?.stop();
  });

  it('names images under the registry and pushes each function image it builds', async () => {
    const settings = registryFromEnv({ DISPATCH_REGISTRY_URL: `http://${address}`, DISPATCH_REGISTRY_REPOSITORY: 'dispatch-test' });
    expect(settings).toEqual({ url: `http://${address}`, repository: 'dispatch-test', insecure: false });
    const builder = createDockerImageBuilder({ docker, baseImageArgs: localBaseImageArgs(), registry: settings });

    const base = `${address}/dispatch-test/nodejs-base-${run}:1`;
    await builder.buildBaseImage('nodejs', base);
    images.push(base);
    const lines: string[] = [];
    const image = await builder.buildFunctionImage(
      { name: `pushed-${run}`, revision: 1, imageURL: base, source: await packFixture('nodejs'), handler: 'handler.js' },
      (line) => lines.push(line),
    );
    images.push(image);
    expect(image.startsWith(`${address}/dispatch-test/fn-pushed-${run}:`)).toBe(true);

    const tags = (await (await fetch(`http://${address}/v2/dispatch-test/fn-pushed-${run}/tags/list`)).json()) as { tags?: string[] };
    expect(tags.tags).toContain(image.split(':').at(-1));
    expect(lines.length).toBeGreaterThan(0);
  }, 180_000);

  it('reads no registry from an environment without DISPATCH_REGISTRY_URL', () => {
    expect(registryFromEnv({})).toBeUndefined();
  });
});
