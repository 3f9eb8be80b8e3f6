import { Validator } from '@cfworker/json-schema';
import type { Schema } from '@cfworker/json-schema';

/** Keywords whose errors only say that an inner error happened. */
const WRAPPING: ReadonlySet<string> = new Set(['properties', 'items', 'prefixItems', 'allOf', '$ref', 'if', 'then', 'else']);

/**
 * Checks an input against a function's `schema.in` in the page, before it is sent. @cfworker/json-schema
 * interprets the schema instead of compiling code, so it runs under the console's CSP (no 'unsafe-eval').
 * Answers the problems, one line each; none when valid or when there is no schema.
 */
export function schemaProblems(schema: unknown, value: unknown): string[] {
  if (schema === undefined || schema === null || typeof schema !== 'object') return [];
  let validator: Validator;
  try {
    validator = new Validator(schema as Schema, '2020-12', false);
  } catch (error) {
    return [`schema.in cannot be read: ${(error as Error).message}`];
  }
  const result = validator.validate(value);
  if (result.valid) return [];
  // The deepest errors name the field; the wrapping ones ("properties does not match") add nothing.
  const leaves = result.errors.filter((error) => !WRAPPING.has(error.keyword));
  return (leaves.length > 0 ? leaves : result.errors).map(
    (error) => `${error.instanceLocation.replace(/^#/, 'input') || 'input'}: ${error.error}`,
  );
}
