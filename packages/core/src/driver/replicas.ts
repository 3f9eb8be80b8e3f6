import { InvalidInputError } from '../errors.js';

/**
 * The replica count a driver runs, from the one it was given: a whole number of at least 0 (fractions round
 * down). `min` raises it for a backend that cannot scale to zero (local keeps one process).
 * @param backend the driver's name, which prefixes the message
 * @throws InvalidInputError when `replicas` is negative or not a finite number
 */
export function replicaCount(backend: string, replicas: number, { min = 0 }: { min?: number } = {}): number {
  if (!Number.isFinite(replicas) || replicas < 0) {
    throw new InvalidInputError(`[${backend}] replicas must be a whole number of at least 0, not ${String(replicas)}`);
  }
  return Math.max(min, Math.floor(replicas));
}
