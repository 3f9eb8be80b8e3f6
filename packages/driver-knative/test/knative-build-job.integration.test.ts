/* eslint-disable @typescript-eslint/no-explicit-any -- the test reads JSON bodies of the harness's API */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callFunction,
  deploySpec,
  eventually,
  followProgress,
  localLanguageImages,
  pushLanguageImages,
  requireEngine,
  requireRegistry,
  startTestRegistry,
} from '@dispatch/driver-testkit';
import type { TestRegistry } from '@dispatch/driver-testkit';
import { startKubeHarness } from '@dispatch/driver-testkit/kube-harness';
import type { KubeHarness } from '@dispatch/driver-testkit/kube-harness';
import { createRegistryImageBuilder } from '@dispatch/registry-builder';
import { createBuildJobRunner, createKnativeDriver, createRegistryKnativeImageBuilder } from '../src/index.js';

// Images that need a real build (a Debian system package here) go to a batch/v1 Job through the Kubernetes API
// harness. kaniko's executor image cannot be pulled on this machine, so the Job runs a STAND-IN for it
// (test/builder-stand-in: kaniko's command line, built with the host's Docker engine through its socket, pushed to
// the test registry with the login the driver puts in the Job's Secret). What is under test is the driver: the
// Job, ConfigMap and Secret it writes (checked against Kubernetes' schema by the harness), how it follows the
// build, what it reports, and that it cleans up.
const engine = await requireEngine('docker');
const registryPresent = await requireRegistry({ auth: true });
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const STAND_IN = `dispatch-test/kaniko-stand-in:${run}`;

describe.runIf(engine && registryPresent)('knative driver: images built by a Kubernetes Job', () => {
  const docker = new Docker();
  const login = { username: 'dispatch', password: `pw-${run}` };
  const folders: string[] = [];
  let registry: TestRegistry;
  let harness: KubeHarness;

  beforeAll(async () => {
    registry = await startTestRegistry({ auth: login });
    await pushLanguageImages(registry);
    const context = fileURLToPath(new URL('./builder-stand-in/', import.meta.url));
    const stream = await docker.buildImage(
      { context, src: ['Dockerfile', 'executor.mjs'] },
      { t: STAND_IN, buildargs: { NODE_IMAGE: localLanguageImages().nodejs }, rm: true, forcerm: true },
    );
    await followProgress(docker, stream);
    harness = await startKubeHarness({
      progressDeadlineMs: 60_000,
      pullCredentials: { [registry.address]: login },
      jobPodBinds: ['/var/run/docker.sock:/var/run/docker.sock'],
    });
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await registry?.stop();
    await docker
      .getImage(STAND_IN)
      .remove({ force: true })
      .catch(() => undefined);
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  }, 60_000);

  function driver(builderImage = STAND_IN) {
    const settings = { url: registry.address, repository: 'functions', ...login };
    const config = new KubeConfig();
    config.loadFromFile(harness.kubeconfigPath);
    const languageImages = { nodejs: `${registry.address}/lang/node:20`, python3: `${registry.address}/lang/python:3` };
    return createKnativeDriver({
      kubeconfig: config,
      ingressAddress: harness.ingressUrl,
      registry: settings,
      imageBuilder: createRegistryKnativeImageBuilder({
        registry: settings,
        builder: createRegistryImageBuilder({ registry: settings, languageImages, errorPrefix: 'knative' }),
        buildJobs: createBuildJobRunner({ config, namespace: 'default', registry: settings, image: builderImage, timeoutSeconds: 600 }),
      }),
    });
  }

  async function leftovers(): Promise<number> {
    const paths = ['/apis/batch/v1/namespaces/default/jobs', '/api/v1/namespaces/default/configmaps', '/api/v1/namespaces/default/secrets'];
    let count = 0;
    for (const path of paths) {
      const response = await fetch(`${harness.url}${path}`, { headers: { authorization: `Bearer ${harness.token}` } });
      count += ((await response.json()) as any).items.length;
    }
    return count;
  }

  /** A function that answers with the version of jq, a Debian package only a real build puts in its image. */
  async function jqSource(): Promise<Buffer> {
    const folder = await mkdtemp(join(tmpdir(), `dispatch-kaniko-${run}-`));
    folders.push(folder);
    await writeFile(
      join(folder, 'handler.js'),
      "module.exports = () => ({ jq: require('node:child_process').execFileSync('jq', ['--version']).toString().trim() });\n",
    );
    execFileSync('tar', ['-czf', 'source.tar.gz', 'handler.js'], { cwd: folder });
    return readFile(join(folder, 'source.tar.gz'));
  }

  it('builds an image with a system package in a Job, follows its log, and runs a function on it', async () => {
    const knative = driver();
    const name = `kn-job-${run}`;
    const lines: string[] = [];
    try {
      const baseImageURL = knative.defaultBaseImages?.().nodejs as string;
      await knative.prepareBaseImage?.({ name: 'nodejs-base', language: 'nodejs', imageURL: baseImageURL });
      const { imageURL } = await knative.buildImage(
        { name: `jq-${run}`, language: 'nodejs', baseImageURL, runtimeDependencies: '', systemPackages: [{ name: 'jq' }] },
        (line) => lines.push(line),
      );
      expect(imageURL).toMatch(new RegExp(`^${registry.address}/functions/image-jq-${run}@sha256:[a-f0-9]{64}$`));
      expect(lines.some((line) => line.includes('Job build-jq-') && line.includes(STAND_IN))).toBe(true);
      // The pod's log, as progress: the build's own lines (apt installing jq).
      expect(lines.some((line) => /Setting up jq|Unpacking jq/.test(line))).toBe(true);
      expect(await leftovers()).toBe(0);

      await knative.deploy(deploySpec({ name, language: 'nodejs', imageURL, source: await jqSource(), handler: 'handler.js' }));
      await eventually(async () => expect((await knative.status(name)).ready).toBe(true), 90_000);
      const envelope = await callFunction(knative, name, {});
      expect(envelope.payload).toEqual({ jq: expect.stringMatching(/^jq-1\./) });
    } finally {
      await knative.remove(name);
      await knative.dispose();
    }
  }, 600_000);

  it('ends a failing build in an error with the last lines of its log, and removes the Job', async () => {
    const knative = driver();
    try {
      const baseImageURL = knative.defaultBaseImages?.().nodejs as string;
      await knative.prepareBaseImage?.({ name: 'nodejs-base', language: 'nodejs', imageURL: baseImageURL });
      const error = await knative
        .buildImage({
          name: `bad-${run}`,
          language: 'nodejs',
          baseImageURL,
          runtimeDependencies: '',
          systemPackages: [{ name: 'no-such-package-dispatch' }],
        })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 502 });
      expect((error as Error).message).toMatch(
        /^\[knative\] build of image "bad-[a-z0-9]+" failed \(Job build-bad-[a-z0-9-]+: BackoffLimitExceeded/,
      );
      expect((error as Error).message).toContain('Unable to locate package no-such-package-dispatch');
      expect(await leftovers()).toBe(0);
    } finally {
      await knative.dispose();
    }
  }, 600_000);

  it('fails at once when the builder image cannot be pulled, instead of waiting for the deadline', async () => {
    const knative = driver(`${registry.address}/no/such-builder:1`);
    try {
      const baseImageURL = knative.defaultBaseImages?.().nodejs as string;
      await knative.prepareBaseImage?.({ name: 'nodejs-base', language: 'nodejs', imageURL: baseImageURL });
      const error = await knative
        .buildImage({ name: `nopull-${run}`, language: 'nodejs', baseImageURL, runtimeDependencies: '', systemPackages: [{ name: 'jq' }] })
        .catch((caught: unknown) => caught);
      expect((error as Error).message).toMatch(
        /failed \(Job build-nopull-[a-z0-9-]+: the builder image cannot be pulled\): ErrImagePull: /,
      );
      expect(await leftovers()).toBe(0);
    } finally {
      await knative.dispose();
    }
  }, 120_000);
});
