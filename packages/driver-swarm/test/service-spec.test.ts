import { deploySpec } from '@dispatch/driver-testkit';
import { describe, expect, it } from 'vitest';
import { sameDeployment, serviceSpec, type ServiceSettings } from '../src/service-spec.js';

const settings: ServiceSettings = { network: 'dispatch', endpointMode: 'dnsrr', funkerPort: 9999, restartDelayNs: 100_000_000 };
const spec = deploySpec({
  name: 'hello',
  language: 'python3',
  imageURL: 'dispatch/python3-base',
  source: Buffer.alloc(0),
  handler: 'hello.handle',
});

describe("a function's Swarm service", () => {
  it("limits each task's memory and CPU by the function's limits (bytes, billionths of a CPU)", () => {
    const limited = serviceSpec({ ...spec, limits: { memoryMB: 128, cpus: 0.5 } }, 'img', 1, settings);
    expect(limited.TaskTemplate).toMatchObject({ Resources: { Limits: { MemoryBytes: 128 * 1024 * 1024, NanoCPUs: 500_000_000 } } });
    const memoryOnly = serviceSpec({ ...spec, limits: { memoryMB: 64 } }, 'img', 1, settings);
    expect((memoryOnly.TaskTemplate as { Resources?: unknown }).Resources).toEqual({ Limits: { MemoryBytes: 64 * 1024 * 1024 } });
  });

  it('sets no limits without them, and a revision with other limits is a new deployment', () => {
    const plain = serviceSpec(spec, 'img', 1, settings);
    expect((plain.TaskTemplate as { Resources?: unknown }).Resources).toBeUndefined();
    const next = serviceSpec({ ...spec, revision: 2, limits: { cpus: 1 } }, 'img', 1, settings);
    expect(sameDeployment(plain, next)).toBe(false);
  });
});
