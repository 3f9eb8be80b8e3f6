/* eslint-disable @typescript-eslint/no-explicit-any -- the tests read JSON bodies of the API under test */
import { describe, expect, it } from 'vitest';
import { deploySpec } from '@dispatch/driver-testkit';
import { defaultKnativeService, knativeServiceSchema, validateKnativeService } from '@dispatch/driver-testkit/kube-harness';
import { revisionTimeoutSeconds, serviceManifest } from '../src/index.js';

const spec = deploySpec({
  name: 'hello',
  language: 'nodejs',
  imageURL: 'dispatch/nodejs-base',
  source: Buffer.alloc(0),
  handler: 'hello.js',
  replicas: 2,
  timeout: 1500,
  env: { GREETING: 'hi' },
});

describe('the Knative Service of a function', () => {
  it("passes the CRD schema and Knative's webhook", () => {
    const manifest = serviceManifest({
      spec,
      functionImageURL: 'dispatch/fn-hello:r1-abc',
      namespace: 'default',
      containerConcurrency: 0,
      maxScale: 5,
    }) as unknown as Record<string, unknown>;
    defaultKnativeService(manifest, 'test', true);
    expect(knativeServiceSchema().validate(manifest)).toEqual([]);
    expect(() => validateKnativeService(manifest)).not.toThrow();
  });

  it("hands an autoscaled function's bounds and target to Knative's autoscaler", () => {
    const autoscaled = { ...spec, replicas: 1, autoscaling: { min: 0, max: 8, target: 4 } };
    const manifest = serviceManifest({ spec: autoscaled, functionImageURL: 'img', namespace: 'ns', containerConcurrency: 0, maxScale: 5 });
    const template = manifest.spec?.template as { metadata: { annotations: Record<string, string> } };
    expect(template.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/min-scale': '0',
      'autoscaling.knative.dev/max-scale': '8',
      'autoscaling.knative.dev/target': '4',
      'autoscaling.knative.dev/initial-scale': '1',
    });
    defaultKnativeService(manifest as unknown as Record<string, unknown>, 'test', true);
    expect(() => validateKnativeService(manifest as unknown as Record<string, unknown>)).not.toThrow();
  });

  it('runs the function server in HTTP mode without setting PORT, with scale on the revision template', () => {
    const manifest = serviceManifest({ spec, functionImageURL: 'img', namespace: 'ns', containerConcurrency: 10, maxScale: 5 });
    const template = manifest.spec?.template as {
      metadata: { annotations: Record<string, string>; labels: Record<string, string> };
      spec: any;
    };
    expect(template.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/min-scale': '2',
      'autoscaling.knative.dev/max-scale': '5',
    });
    expect(manifest.metadata.annotations?.['autoscaling.knative.dev/min-scale']).toBeUndefined();
    expect(manifest.metadata.labels).toMatchObject({ 'dispatch.function': 'hello', 'dispatchframework.io/name': 'hello' });
    const container = template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'DISPATCH_MODE', value: 'http' });
    expect(container.env.map((variable: { name: string }) => variable.name)).not.toContain('PORT');
    expect(container.readinessProbe.httpGet.path).toBe('/healthz');
    expect(template.spec.containerConcurrency).toBe(10);
    expect(template.spec.timeoutSeconds).toBe(revisionTimeoutSeconds(1500));
  });

  it("sets the container's resources.limits from the function's limits, and none without them", () => {
    const containerOf = (limits?: { memoryMB?: number; cpus?: number }) =>
      (
        serviceManifest({
          spec: { ...spec, ...(limits ? { limits } : {}) },
          functionImageURL: 'img',
          namespace: 'ns',
          containerConcurrency: 0,
        }).spec?.template as any
      ).spec.containers[0];
    expect(containerOf({ memoryMB: 256, cpus: 0.5 }).resources).toEqual({ limits: { memory: '256Mi', cpu: '0.5' } });
    expect(containerOf({ cpus: 2 }).resources).toEqual({ limits: { cpu: '2' } });
    expect(containerOf().resources).toBeUndefined();
    const manifest = serviceManifest({
      spec: { ...spec, limits: { memoryMB: 256, cpus: 0.5 } },
      functionImageURL: 'img',
      namespace: 'ns',
      containerConcurrency: 0,
    }) as unknown as Record<string, unknown>;
    defaultKnativeService(manifest, 'test', true);
    expect(knativeServiceSchema().validate(manifest)).toEqual([]);
  });

  it('rejects env names Knative reserves', () => {
    expect(() =>
      serviceManifest({ spec: { ...spec, env: { K_SERVICE: 'x' } }, functionImageURL: 'img', namespace: 'ns', containerConcurrency: 0 }),
    ).toThrow(/reserved by Knative/);
  });
});
