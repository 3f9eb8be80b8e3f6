import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { MAX_BUILD_CONTEXT_BYTES, createBuildJobRunner, knativeDriverOptionsFromEnv, needsBuildJob } from '../src/index.js';

const plain = { name: 'img', language: 'nodejs' as const, baseImageURL: 'r:5000/base:1', runtimeDependencies: '', systemPackages: [] };

describe('build Jobs of the knative backend', () => {
  it('sends only what the registry builder cannot assemble to a Job: system packages and install scripts', () => {
    expect(needsBuildJob(plain)).toBe(false);
    expect(needsBuildJob({ ...plain, runtimeDependencies: '{"dependencies":{"a":"1"}}' })).toBe(false);
    expect(needsBuildJob({ ...plain, systemPackages: [{ name: 'jq' }] })).toBe(true);
    expect(needsBuildJob({ ...plain, allowInstallScripts: true })).toBe(true);
  });

  it('refuses a build context over its bound before writing anything to the cluster', async () => {
    const config = new KubeConfig();
    // Nothing listens there: a call to the API would fail differently.
    config.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:9' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const runner = createBuildJobRunner({ config, namespace: 'default', registry: { url: '127.0.0.1:9', repository: 'fn' } });
    // Random text does not compress: the gzipped context stays over the bound.
    const manifest = JSON.stringify({ description: randomBytes(MAX_BUILD_CONTEXT_BYTES).toString('hex') });
    await expect(runner.buildImage({ ...plain, runtimeDependencies: manifest, systemPackages: [{ name: 'jq' }] })).rejects.toMatchObject({
      code: 400,
      message: expect.stringMatching(/^\[knative\] image "img": its build context is \d+ bytes gzipped, over the 524288/),
    });
  });

  it('reads the build Job settings from the environment, as the chart sets them', () => {
    const options = knativeDriverOptionsFromEnv({
      DISPATCH_KNATIVE_BUILD_JOB_IMAGE: 'registry.example.com/kaniko:1',
      DISPATCH_KNATIVE_BUILD_JOB_RESOURCES: '{"limits":{"memory":"2Gi"}}',
      DISPATCH_KNATIVE_BUILD_JOB_TIMEOUT: '600',
    });
    expect(options.buildJob).toEqual({
      image: 'registry.example.com/kaniko:1',
      resources: { limits: { memory: '2Gi' } },
      timeoutSeconds: 600,
    });
    expect(knativeDriverOptionsFromEnv({}).buildJob).toBeUndefined();
    expect(() => knativeDriverOptionsFromEnv({ DISPATCH_KNATIVE_BUILD_JOB_RESOURCES: '2Gi' })).toThrow(/must be a JSON object/);
    expect(() => knativeDriverOptionsFromEnv({ DISPATCH_KNATIVE_BUILD_JOB_TIMEOUT: 'soon' })).toThrow(/whole number of seconds/);
  });
});
