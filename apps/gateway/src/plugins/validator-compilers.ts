import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifySchema, FastifyServerOptions } from 'fastify';

interface RouteSchema {
  schema: FastifySchema;
  method: string;
  url: string;
  httpPart?: string;
}

type Validator = (route: RouteSchema) => unknown;
type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

/**
 * Fastify's validator factory, with one difference: a JSON body is checked without type coercion. Query strings,
 * path parameters and headers are text, so `?tail=5` still becomes the integer 5; a body is typed JSON, so
 * `{"image": 5}` where a string is expected is a 400, not the image named "5".
 */
export function exactBodyValidators(): BuildValidator {
  const factory = AjvCompiler() as unknown as (externalSchemas: unknown, options: unknown) => Validator;
  const build = (externalSchemas: unknown, options: { customOptions?: Record<string, unknown> } = {}): Validator => {
    const coercing = factory(externalSchemas, options);
    const exact = factory(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
    return (route) => (route.httpPart === 'body' ? exact : coercing)(route);
  };
  return build as unknown as BuildValidator;
}
