import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callFunction,
  deploySpec,
  eventually,
  fixtureHandler,
  packFixture,
  pushLanguageImages,
  requireEngine,
  requireRegistry,
  startTestRegistry,
} from '@dispatch/driver-testkit';
import type { TestRegistry } from '@dispatch/driver-testkit';
import { startKubeHarness } from '@dispatch/driver-testkit/kube-harness';
import type { KubeHarness } from '@dispatch/driver-testkit/kube-harness';
import { createRegistryImageBuilder } from '@dispatch/registry-builder';
import { createKnativeDriver, createRegistryKnativeImageBuilder } from '../src/index.js';

// The knative backend with no Docker engine of its own: images are assembled in a registry with a login (Debian's
// docker-registry on loopback), and the harness's "nodes" pull them from there by digest with their own login,
// as kubelets do. (The harness itself runs containers on Docker: that is the harness, not the driver.)
const engine = await requireEngine('docker');
const registryPresent = await requireRegistry({ auth: true });
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;

describe.runIf(engine && registryPresent)('knative driver with images assembled in a registry', () => {
  const login = { username: 'dispatch', password: `pw-${run}` };
  let registry: TestRegistry;
  let harness: KubeHarness;

  beforeAll(async () => {
    registry = await startTestRegistry({ auth: login });
    await pushLanguageImages(registry);
    harness = await startKubeHarness({ progressDeadlineMs: 30_000, pullCredentials: { [registry.address]: login } });
  }, 180_000);

  afterAll(async () => {
    await harness?.close();
    await registry?.stop();
  }, 60_000);

  function driver(languageImages: { nodejs: string; python3: string }) {
    const settings = { url: registry.address, repository: 'functions', ...login };
    return createKnativeDriver({
      kubeconfig: harness.kubeconfigPath,
      ingressAddress: harness.ingressUrl,
      registry: settings,
      imageBuilder: createRegistryKnativeImageBuilder({
        registry: settings,
        builder: createRegistryImageBuilder({ registry: settings, languageImages, errorPrefix: 'knative' }),
      }),
    });
  }

  it.each(['nodejs', 'python3'] as const)(
    'runs a %s function whose image was assembled in the registry, named by its digest',
    async (language) => {
      const languageImages = { nodejs: `${registry.address}/lang/node:20`, python3: `${registry.address}/lang/python:3` };
      const knative = driver(languageImages);
      const name = `kn-reg-${language === 'nodejs' ? 'node' : 'py'}-${run}`;
      try {
        const baseImageURL = knative.defaultBaseImages?.()[language] as string;
        expect(baseImageURL.startsWith(`${registry.address}/functions/${language}-base:`)).toBe(true);
        await knative.prepareBaseImage?.({ name: `${language}-base`, language, imageURL: baseImageURL });
        const { imageURL } = await knative.buildImage({
          name: `${language}-plain`,
          language,
          baseImageURL,
          runtimeDependencies: '',
          systemPackages: [],
        });
        const result = await knative.deploy(
          deploySpec({ name, language, imageURL, source: await packFixture(language), handler: fixtureHandler(language) }),
        );
        expect(result.functionImageURL).toMatch(new RegExp(`^${registry.address}/functions/fn-${name}@sha256:[a-f0-9]{64}$`));
        await eventually(async () => expect((await knative.status(name)).ready).toBe(true), 60_000);
        const envelope = await callFunction(knative, name, { action: 'hello', name: 'Jon' });
        expect(envelope.payload).toEqual({ myField: 'Hello, Jon from Nowhere' });
      } finally {
        await knative.remove(name);
        await knative.dispose();
      }
    },
    120_000,
  );

  it('says so when the registry refuses the login, before anything is deployed', async () => {
    const settings = { url: registry.address, repository: 'functions', username: 'dispatch', password: 'wrong' };
    const knative = createKnativeDriver({ kubeconfig: harness.kubeconfigPath, ingressAddress: harness.ingressUrl, registry: settings });
    await expect(knative.prepareBaseImage?.({ name: 'nodejs-base', language: 'nodejs', imageURL: 'dispatch/nodejs-base' })).rejects.toThrow(
      `[knative] reading the manifest of functions/nodejs-base:`,
    );
    await knative.dispose();
  });
});
