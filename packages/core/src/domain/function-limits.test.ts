import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { normalizeFunctionLimits } from './function-limits.js';

describe("a function's limits", () => {
  it('keeps the limits that are set, and none when none is', () => {
    expect(normalizeFunctionLimits({ memoryMB: 256, cpus: 0.5 })).toEqual({ memoryMB: 256, cpus: 0.5 });
    expect(normalizeFunctionLimits({ cpus: 2 })).toEqual({ cpus: 2 });
    expect(normalizeFunctionLimits({})).toBeUndefined();
    expect(normalizeFunctionLimits(undefined)).toBeUndefined();
  });

  it('refuses limits no machine has or that are typos, with a clear 400', () => {
    for (const bad of [
      { memoryMB: 0 },
      { memoryMB: 1.5 },
      { memoryMB: 268435456 },
      { memoryMB: '256' },
      { cpus: 0 },
      { cpus: -1 },
      { cpus: 2000 },
      { memory: 256 },
      'big',
      [1],
    ]) {
      expect(() => normalizeFunctionLimits(bad)).toThrow(InvalidInputError);
    }
    expect(() => normalizeFunctionLimits({ memoryMB: 0 })).toThrow(/limits.memoryMB must be an integer from 6/);
    expect(() => normalizeFunctionLimits({ memory: 256 })).toThrow(/unknown field "memory"/);
  });
});
