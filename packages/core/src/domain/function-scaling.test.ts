import { describe, expect, it } from 'vitest';
import { initialReplicas, normalizeFunctionScaling } from './function-scaling.js';

describe('autoscaling settings', () => {
  it('fills in the defaults once any of them is set, and stores none when none is', () => {
    expect(normalizeFunctionScaling({})).toEqual({});
    expect(normalizeFunctionScaling({ maxReplicas: 8 })).toEqual({ minReplicas: 1, maxReplicas: 8, targetConcurrency: 10 });
    expect(normalizeFunctionScaling({ minReplicas: 0 })).toEqual({ minReplicas: 0, maxReplicas: 1, targetConcurrency: 10 });
  });

  it('keeps stored settings on update, replaces given ones, and removes them with null', () => {
    const stored = { minReplicas: 1, maxReplicas: 8, targetConcurrency: 4 };
    expect(normalizeFunctionScaling({ maxReplicas: 3 }, stored)).toEqual({ minReplicas: 1, maxReplicas: 3, targetConcurrency: 4 });
    expect(normalizeFunctionScaling({ minReplicas: null, maxReplicas: null, targetConcurrency: null }, stored)).toEqual({});
  });

  it('refuses a minimum above the maximum, numbers out of bounds, and a target without bounds', () => {
    expect(() => normalizeFunctionScaling({ minReplicas: 5, maxReplicas: 2 })).toThrow(
      /minReplicas \(5\) must not exceed maxReplicas \(2\)/,
    );
    expect(() => normalizeFunctionScaling({ maxReplicas: 0 })).toThrow(/maxReplicas must be a whole number from 1 to 100/);
    expect(() => normalizeFunctionScaling({ minReplicas: -1, maxReplicas: 2 })).toThrow(/minReplicas must be a whole number from 0/);
    expect(() => normalizeFunctionScaling({ maxReplicas: 2, targetConcurrency: 0.5 })).toThrow(/targetConcurrency must be a whole number/);
    expect(() => normalizeFunctionScaling({ maxReplicas: 101 })).toThrow(/from 1 to 100/);
    expect(() => normalizeFunctionScaling({ targetConcurrency: 4 })).toThrow(/targetConcurrency needs minReplicas or maxReplicas/);
  });

  it('deploys an autoscaled function with at least one replica, within its bounds', () => {
    expect(initialReplicas({ replicas: 1, minReplicas: 0, maxReplicas: 2 })).toBe(1);
    expect(initialReplicas({ replicas: 5, minReplicas: 1, maxReplicas: 3 })).toBe(3);
    expect(initialReplicas({ replicas: 1, minReplicas: 2, maxReplicas: 3 })).toBe(2);
    expect(initialReplicas({ replicas: 4 })).toBe(4);
  });
});
