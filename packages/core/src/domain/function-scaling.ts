import { InvalidInputError } from '../errors.js';
import type { DispatchFunction } from './types.js';

/** The most replicas a function may ask for; more is a typo on machines this size, and a runaway on any. */
export const MAX_REPLICAS = 100;
/** Calls in flight per replica before another is added, when a function does not say. */
export const DEFAULT_TARGET_CONCURRENCY = 10;
const MAX_TARGET_CONCURRENCY = 1000;

/** A function's autoscaling, with its defaults filled in. */
export interface FunctionScaling {
  min: number;
  max: number;
  /** Calls in flight per replica the autoscaler aims for. */
  target: number;
}

type ScalingFields = Pick<DispatchFunction, 'minReplicas' | 'maxReplicas' | 'targetConcurrency'>;

function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * Checks a function's autoscaling fields (given ones over stored ones) and returns them as they are stored:
 * all three when any is set, none otherwise. `null` removes a stored field.
 *
 * @throws InvalidInputError when a field is not a whole number in its bounds or minReplicas exceeds maxReplicas
 */
export function normalizeFunctionScaling(fields: Partial<Record<keyof ScalingFields, unknown>>, previous?: ScalingFields): ScalingFields {
  const pick = (key: keyof ScalingFields): unknown => (fields[key] !== undefined ? fields[key] : previous?.[key]);
  const min = pick('minReplicas');
  const max = pick('maxReplicas');
  const target = pick('targetConcurrency');
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    if (target !== undefined && target !== null)
      throw new InvalidInputError('targetConcurrency needs minReplicas or maxReplicas: it applies to an autoscaled function');
    return {};
  }
  const minReplicas = min === undefined || min === null ? 1 : checkInteger(min, 'minReplicas', 0, MAX_REPLICAS);
  const maxReplicas = max === undefined || max === null ? Math.max(minReplicas, 1) : checkInteger(max, 'maxReplicas', 1, MAX_REPLICAS);
  if (minReplicas > maxReplicas) throw new InvalidInputError(`minReplicas (${minReplicas}) must not exceed maxReplicas (${maxReplicas})`);
  const targetConcurrency =
    target === undefined || target === null
      ? DEFAULT_TARGET_CONCURRENCY
      : checkInteger(target, 'targetConcurrency', 1, MAX_TARGET_CONCURRENCY);
  return { minReplicas, maxReplicas, targetConcurrency };
}

/** The function's autoscaling, or undefined when it runs a fixed number of replicas. */
export function scalingOf(fn: ScalingFields): FunctionScaling | undefined {
  if (fn.minReplicas === undefined || fn.maxReplicas === undefined) return undefined;
  return { min: fn.minReplicas, max: fn.maxReplicas, target: fn.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY };
}

/** The replicas an autoscaled function is deployed with: `replicas` within its bounds, and at least one, so a deploy shows it answers. */
export function initialReplicas(fn: ScalingFields & { replicas: number }): number {
  const scaling = scalingOf(fn);
  if (!scaling) return fn.replicas;
  return Math.min(scaling.max, Math.max(scaling.min, 1, fn.replicas));
}
