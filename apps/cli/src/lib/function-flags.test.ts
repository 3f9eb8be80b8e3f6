import { describe, expect, it } from 'vitest';
import { functionBody } from './function-flags.js';

describe("the function flags' body", () => {
  it('sends --memory and --cpus as limits, and no limits without them', async () => {
    expect((await functionBody({ memory: 256, cpus: '0.5' })).limits).toEqual({ memoryMB: 256, cpus: 0.5 });
    expect((await functionBody({ cpus: '2' })).limits).toEqual({ cpus: 2 });
    expect(await functionBody({ replicas: 2 })).not.toHaveProperty('limits');
  });

  it('sends the autoscaling flags as minReplicas, maxReplicas and targetConcurrency', async () => {
    const body = await functionBody({ 'min-replicas': 0, 'max-replicas': 8, 'target-concurrency': 4 });
    expect(body).toMatchObject({ minReplicas: 0, maxReplicas: 8, targetConcurrency: 4 });
    expect(await functionBody({ replicas: 2 })).not.toHaveProperty('minReplicas');
  });

  it('refuses a --cpus that is not a positive number', async () => {
    for (const cpus of ['half', '0', '-1']) {
      await expect(functionBody({ cpus })).rejects.toThrow(/--cpus ".*" must be a number above 0/);
    }
  });
});
