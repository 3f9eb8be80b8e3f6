import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskInfo } from '../src/service-status.js';
import {
  deploySpec,
  eventually,
  followProgress,
  registryAuthConfig,
  requireEngine,
  requireRegistry,
  startTestRegistry,
} from '@dispatch/driver-testkit';
import type { TestRegistry } from '@dispatch/driver-testkit';
import { createSwarmDriver } from '../src/index.js';
import { RUN_ID, buildIdleImage, removeImages, testBuilder } from './helpers.js';

// A function's image reaches a node through the registry, with the login the driver passes along with the
// service (X-Registry-Auth): the node is not logged in anywhere. The image is removed from the engine after the
// push, so this node, like a worker, can only get it from the registry.
const swarm = await requireEngine('swarm');
const registryBinaries = await requireRegistry({ auth: true });
const docker = new Dockerode();

describe.skipIf(!swarm || !registryBinaries)('swarm driver with an authenticated registry', () => {
  let registry: TestRegistry;
  let image = '';
  const good = `sw-${RUN_ID}-regok`;
  const wrong = `sw-${RUN_ID}-regbad`;
  const local = `dispatch-test/regpull-${RUN_ID}:1`;

  beforeAll(async () => {
    registry = await startTestRegistry({ auth: { username: 'dispatch', password: `pw-${RUN_ID}` } });
    image = `${registry.address}/dispatch-test/regpull-${RUN_ID}:1`;
    await buildIdleImage(docker, local);
    await docker.getImage(local).tag({ repo: image.slice(0, image.lastIndexOf(':')), tag: '1' });
    await followProgress(docker, await docker.getImage(image).push({ authconfig: registryAuthConfig(registry) }));
    await removeImages(docker, [image, local]);
  }, 120_000);

  afterAll(async () => {
    for (const name of [good, wrong])
      await docker
        .getService(name)
        .remove()
        .catch(() => undefined);
    // The services' containers hold the pulled image until they are gone.
    await eventually(
      async () =>
        expect(await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${good}`] } })).toEqual([]),
      30_000,
      200,
    ).catch(() => undefined);
    await removeImages(docker, [image, local]);
    await registry?.stop();
  }, 60_000);

  function driverWith(password: string) {
    return createSwarmDriver({
      docker,
      builder: testBuilder(docker),
      registry: { url: registry.address, repository: 'dispatch-test', username: 'dispatch', password },
    });
  }

  it('fails a function whose image the registry refuses to the login, and status says the registry refused it', async () => {
    const driver = driverWith('not-the-password');
    try {
      await driver.deploy(
        deploySpec({ name: wrong, language: 'nodejs', protocol: 'funker', imageURL: image, source: Buffer.alloc(0), handler: '' }),
      );
      const status = await eventually(
        async () => {
          const current = await driver.status(wrong);
          expect(current.failed).toBe(true);
          return current;
        },
        60_000,
        200,
      );
      expect(status.ready).toBe(false);
      expect(status.reason).toMatch(
        new RegExp(
          `^\\[swarm\\] function "${wrong}": a task failed: No such image: .*; the node could not pull it: .*the registry ${registry.address} denied access \\(HTTP 401; the credentials were refused\\)`,
        ),
      );
    } finally {
      // Swarm keeps retrying the task: once the next test has the image pulled, it would run.
      await driver.remove(wrong);
      await driver.dispose();
    }
  }, 90_000);

  it('passes the login with the service, so a node that lacks the image pulls it from the registry', async () => {
    const driver = driverWith(registry.password ?? '');
    try {
      await driver.deploy(
        deploySpec({ name: good, language: 'nodejs', protocol: 'funker', imageURL: image, source: Buffer.alloc(0), handler: '' }),
      );
      await eventually(
        async () => {
          const tasks = (await docker.listTasks({ filters: { service: [good] } })) as TaskInfo[];
          expect(tasks.map((task) => task.Status?.State)).toContain('running');
        },
        60_000,
        200,
      );
      expect((await docker.getImage(image).inspect()).RepoTags).toContain(image);
    } finally {
      await driver.dispose();
    }
  }, 90_000);
});
