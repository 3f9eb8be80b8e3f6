import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidInputError } from '../errors.js';

// One Ajv for user schemas: lenient about unknown keywords (schemas come from many tools), and compiled once
// per function version, never on the run path. Compiled schemas are not registered by their `$id`
// (addUsedSchema: false): a new version of a function, or another function, may bring the same `$id`.
const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false, addUsedSchema: false });

export type PayloadValidator = ValidateFunction;

/** Compiles a function's `schema.in` or `schema.out`; an invalid schema is the caller's input error. */
export function compilePayloadSchema(schema: unknown, label: string): PayloadValidator | undefined {
  if (schema === undefined || schema === null) return undefined;
  if (typeof schema !== 'object' && typeof schema !== 'boolean') {
    throw new InvalidInputError(`${label} must be a JSON Schema object`);
  }
  try {
    return ajv.compile(schema as object);
  } catch (error) {
    throw new InvalidInputError(`${label} is not a valid JSON Schema: ${(error as Error).message}`);
  }
}

/** `payload.name must be string` style text for a failed validation. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined, root: string): string {
  if (!errors || errors.length === 0) return `${root} does not match the schema`;
  return errors
    .map((error) => {
      const path = error.instancePath ? `${root}${error.instancePath.replaceAll('/', '.')}` : root;
      return `${path} ${error.message ?? 'is invalid'}`;
    })
    .join('; ');
}
