import type { RunError } from '../domain/types.js';
import { InvalidInputError } from '../errors.js';

/** JSON text of a value, or undefined when it has none (nested too deeply for the stack, a cycle, a BigInt). */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** An input the store could not keep is refused before the function runs. */
export function assertStorableInput(payload: unknown): void {
  if (jsonOf(payload) === undefined) throw new InvalidInputError('the input cannot be stored as JSON (is it nested too deeply?)');
}

/** Why a run cannot keep its output, as the run's error; undefined when it can. */
export function unstorableOutput(payload: unknown, maxOutputBytes: number): RunError | undefined {
  const json = jsonOf(payload);
  if (json === undefined) return { type: 'FunctionError', message: 'the output cannot be stored as JSON (is it nested too deeply?)' };
  // A string's length bounds its size in bytes (at most 3 per UTF-16 unit): measure bytes only when it might matter.
  if (json.length * 3 > maxOutputBytes && Buffer.byteLength(json) > maxOutputBytes) {
    return {
      type: 'FunctionError',
      message: `the output is ${Buffer.byteLength(json)} bytes, more than a run keeps (${maxOutputBytes} bytes, DISPATCH_MAX_OUTPUT_BYTES)`,
    };
  }
  return undefined;
}
