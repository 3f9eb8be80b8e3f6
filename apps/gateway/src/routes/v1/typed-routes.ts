import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync, FastifyTypeProvider, RawServerDefault } from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { tagSchema } from '../../schemas/common.js';
import type { runRequestSchema } from '../../schemas/runs.js';

/** The shared schemas (added by `$id` in plugins/schemas.ts) that request schemas reference. */
type RequestReferences = [typeof tagSchema, typeof runRequestSchema];

/**
 * Fastify's type provider for json-schema-to-ts (as `@fastify/type-provider-json-schema-to-ts`), on the request
 * side only: a handler's body, params, query string and headers are typed from the route schemas ajv checks them
 * against, so there is no hand-written copy to drift. Replies stay typed by core's interfaces, since an open
 * schema (`additionalProperties: true`, as the entities' and runs' are) reads as an index signature that those
 * interfaces, rightly, do not have.
 */
export interface AdminTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends JSONSchema ? FromSchema<this['schema'], { references: RequestReferences }> : unknown;
  serializer: unknown;
}

/** A plugin of admin routes, typed by {@link AdminTypeProvider}. */
export type AdminRoutes = FastifyPluginAsync<{ dispatch: Dispatch }, RawServerDefault, AdminTypeProvider>;

/** The app an {@link AdminRoutes} plugin registers its routes on. */
export type AdminApp = Parameters<AdminRoutes>[0];
