import { InvalidInputError } from '../errors.js';
import type { FunctionLimits } from './types.js';

/** Bounds that catch typos (a memory limit in bytes, a CPU count in millicores) rather than real machines. */
const MAX_MEMORY_MB = 1024 * 1024;
const MIN_MEMORY_MB = 6;
const MAX_CPUS = 1024;

/**
 * Checks a function's resource limits and returns them without unset fields, or undefined when none is set.
 *
 * @throws InvalidInputError when `limits` is not an object, `memoryMB` not an integer in 6..1048576, or `cpus`
 *   not a number in (0, 1024].
 */
export function normalizeFunctionLimits(limits: unknown): FunctionLimits | undefined {
  if (limits === undefined || limits === null) return undefined;
  if (typeof limits !== 'object' || Array.isArray(limits))
    throw new InvalidInputError('limits must be an object: {"memoryMB"?: integer, "cpus"?: number}');
  const { memoryMB, cpus, ...rest } = limits as Record<string, unknown>;
  const unknownField = Object.keys(rest)[0];
  if (unknownField !== undefined) throw new InvalidInputError(`limits: unknown field "${unknownField}" (memoryMB, cpus)`);
  const result: FunctionLimits = {};
  if (memoryMB !== undefined) {
    if (typeof memoryMB !== 'number' || !Number.isInteger(memoryMB) || memoryMB < MIN_MEMORY_MB || memoryMB > MAX_MEMORY_MB) {
      throw new InvalidInputError(`limits.memoryMB must be an integer from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB} (megabytes)`);
    }
    result.memoryMB = memoryMB;
  }
  if (cpus !== undefined) {
    if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus <= 0 || cpus > MAX_CPUS) {
      throw new InvalidInputError(`limits.cpus must be a number above 0 and at most ${MAX_CPUS} (e.g. 0.5)`);
    }
    result.cpus = cpus;
  }
  return Object.keys(result).length === 0 ? undefined : result;
}
