import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '@dispatch/core/driver';
import {
  callFunction,
  deploySpec,
  driverContract,
  eventually,
  fixtureHandler,
  packFixture,
  plainImage,
  removeTestImages,
  requireEngine,
} from '@dispatch/driver-testkit';
import { startKubeHarness } from '@dispatch/driver-testkit/kube-harness';
import type { KubeHarness } from '@dispatch/driver-testkit/kube-harness';
import { createDockerKnativeImageBuilder, createKnativeDriver } from '../src/index.js';
import type { KnativeImageBuilder } from '../src/index.js';
import { FUNCTION_LABEL } from '../src/knative-service.js';
import { KnativeClient, loadKubeConfig } from '../src/kube-client.js';

const engine = await requireEngine('docker');
/** This run's contract functions, so that their images can be removed afterwards. */
const CONTRACT_PREFIX = `contract-kn${randomBytes(3).toString('hex')}`;

describe.runIf(engine)('knative driver through the Kubernetes API harness', () => {
  let harness: KubeHarness | undefined;

  beforeAll(async () => {
    harness = await startKubeHarness({ progressDeadlineMs: 20_000 });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
    // The function images the Docker builder made for this file's functions.
    if (engine) await removeTestImages([`dispatch/fn-${CONTRACT_PREFIX}`, 'dispatch/fn-knative-']);
  }, 60_000);

  const driverWith = (imageBuilder?: KnativeImageBuilder): Driver => {
    if (harness === undefined) throw new Error('the harness starts in beforeAll');
    return createKnativeDriver({
      kubeconfig: harness.kubeconfigPath,
      ingressAddress: harness.ingressUrl,
      ...(imageBuilder === undefined ? {} : { imageBuilder }),
    });
  };

  /** The Docker builder, except that the function image is replaced by `image`. */
  const builderServing = (image: string): KnativeImageBuilder => {
    const docker = createDockerKnativeImageBuilder();
    return { ...docker, buildFunctionImage: async (spec) => (await docker.buildFunctionImage(spec), image) };
  };

  driverContract({ name: 'knative (harness)', createDriver: () => driverWith(), logStreamsMerged: true, namePrefix: CONTRACT_PREFIX });

  describe('failures, as Knative reports them', () => {
    it('ends a Service whose image does not exist failed with ContainerMissing, within seconds', async () => {
      const driver = driverWith(builderServing('dispatch/no-such-image:1'));
      const imageURL = await plainImage(driver, 'nodejs');
      const started = Date.now();
      await driver.deploy(
        deploySpec({
          name: 'knative-missing-image',
          language: 'nodejs',
          imageURL,
          source: await packFixture('nodejs'),
          handler: fixtureHandler('nodejs'),
        }),
      );
      const status = await eventually(async () => {
        const current = await driver.status('knative-missing-image');
        expect(current.failed).toBe(true);
        return current;
      }, 15_000);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(status.ready).toBe(false);
      expect(status.reason).toMatch(
        /^\[knative\] revision "knative-missing-image-00001" failed: ContainerMissing: Unable to fetch image "dispatch\/no-such-image:1"/,
      );
      await driver.remove('knative-missing-image');
      await driver.dispose();
    }, 60_000);

    it('ends a Service whose container exits at start failed with ExitCode<N> and its last output', async () => {
      // The base image has no function in it: its server exits with code 3 and the loader's message.
      const driver = driverWith(builderServing('dispatch/nodejs-base'));
      const imageURL = await plainImage(driver, 'nodejs');
      const started = Date.now();
      await driver.deploy(
        deploySpec({
          name: 'knative-crash',
          language: 'nodejs',
          imageURL,
          source: await packFixture('nodejs'),
          handler: fixtureHandler('nodejs'),
        }),
      );
      const status = await eventually(async () => {
        const current = await driver.status('knative-crash');
        expect(current.failed).toBe(true);
        return current;
      }, 15_000);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(status.reason).toMatch(/^\[knative\] revision "knative-crash-00001" failed: ExitCode3: Container failed with: /);
      await driver.remove('knative-crash');
      await driver.dispose();
    }, 60_000);
  });

  describe('the watch of Services', () => {
    it('follows the cluster after the API forgot its watch history (410 Gone): it lists again', async () => {
      if (harness === undefined) throw new Error('the harness starts in beforeAll');
      // Watches that end after a second, so that the next one starts from a version the API has forgotten.
      const { kubeconfigPath, ingressUrl } = harness;
      const watching = createKnativeDriver({ kubeconfig: kubeconfigPath, ingressAddress: ingressUrl, watchTimeoutSeconds: 1 });
      const elsewhere = driverWith();
      const name = 'knative-watched';
      const imageURL = await plainImage(watching, 'nodejs');
      const spec = deploySpec({
        name,
        language: 'nodejs',
        imageURL,
        source: await packFixture('nodejs'),
        handler: fixtureHandler('nodejs'),
      });
      await watching.deploy(spec);
      await eventually(
        async () => expect((await callFunction(watching, name, { action: 'hello', name: 'w' })).payload).toBeDefined(),
        30_000,
      );
      // A change the watch does not see (the Service leaves its label selector), then the history is forgotten:
      // the next watch gets a 410, and only a new list tells the driver the Service is no longer one of its own.
      const api = new KnativeClient(loadKubeConfig(kubeconfigPath), 'default');
      await api.mergePatchService(name, { metadata: { labels: { [FUNCTION_LABEL]: null } } });
      harness.compact();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await elsewhere.remove(name);
      // Had the cache kept the Service, the call would retry its address until the deadline and end Unavailable.
      await expect(callFunction(watching, name, {}, { deadlineMs: 2_000 })).rejects.toMatchObject({ name: 'NotFoundError', code: 404 });
      await watching.dispose();
      await elsewhere.dispose();
    }, 60_000);
  });

  describe('updates', () => {
    it('serves the new code after two updates, and keeps the function deployable from its source', async () => {
      const driver = driverWith();
      const name = 'knative-updated';
      const imageURL = await plainImage(driver, 'nodejs');
      const handler = fixtureHandler('nodejs');
      const v1 = await packFixture('nodejs');
      const v2 = await packFixture('nodejs-v2');
      await driver.deploy(deploySpec({ name, language: 'nodejs', imageURL, source: v1, handler }));
      await eventually(async () => expect((await driver.status(name)).ready).toBe(true), 30_000);
      const first = await driver.deploy(deploySpec({ name, revision: 2, language: 'nodejs', imageURL, source: v2, handler }));
      await eventually(
        async () => expect((await callFunction(driver, name, { action: 'version' })).payload).toEqual({ version: 2, action: 'version' }),
        30_000,
      );
      const second = await driver.deploy(deploySpec({ name, revision: 3, language: 'nodejs', imageURL, source: v1, handler }));
      expect(second.functionImageURL).not.toBe(first.functionImageURL);
      await eventually(async () => {
        const reply = await callFunction(driver, name, { action: 'hello', name: 'three' });
        expect(reply.payload).toEqual({ myField: 'Hello, three from Nowhere' });
      }, 30_000);
      await eventually(async () => expect((await driver.status(name)).ready).toBe(true), 30_000);
      expect(await driver.list?.()).toContainEqual({ name, revision: 3, replicas: 1 });
      await driver.remove(name);
      await driver.dispose();
    }, 120_000);
  });
});
