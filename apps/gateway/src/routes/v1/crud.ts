import { InvalidInputError } from '@dispatch/core';
import type { CreateInput, EntityMeta, EntityService, Tag, UpdateInput } from '@dispatch/core';
import { replyNdjson } from './ndjson-stream.js';
import type { AdminApp } from './typed-routes.js';
import { errorResponses, nameParams, tagFilterQuery } from '../../schemas/common.js';

/** How reads differ by kind: secrets answer their values only with `?reveal=true`. */
export interface EntityReads<T> {
  /** Extra querystring properties the read routes accept. */
  query?: Record<string, object>;
  /** Reads one entity for `GET /v1/<kind>/{name}`; the service's `get` when absent. */
  read?(name: string, query: Record<string, unknown>): Promise<T>;
  /** Lists for `GET /v1/<kind>`; the service's `list` when absent. */
  list?(filter: { tags?: Tag[] } | undefined, query: Record<string, unknown>): Promise<T[]>;
}

export interface CrudRoutesOptions<T extends EntityMeta> extends EntityReads<T> {
  /** The path segment: `/v1/<kind>`. */
  kind: string;
  /** The schema `$id` of the entity (`Function`); `<id>Create` and `<id>Update` are its bodies. */
  schemaId: string;
  /** The OpenAPI tag grouping the routes. */
  tag: string;
  service: EntityService<T>;
}

/** Parses `?tags=key=value` (repeatable) into a tag filter. */
export function parseTagFilter(values: readonly string[] | undefined): Tag[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values.map((value) => {
    const separator = value.indexOf('=');
    if (separator <= 0) {
      throw new InvalidInputError(`tag filter "${value}" must be key=value`);
    }
    return { key: value.slice(0, separator), value: value.slice(separator + 1) };
  });
}

/** `POST/GET /v1/<kind>` and `GET/PUT/DELETE /v1/<kind>/{name}` over one entity service. */
export function registerCrudRoutes<T extends EntityMeta>(app: AdminApp, options: CrudRoutesOptions<T>): void {
  const { kind, schemaId, tag, service } = options;
  const read = options.read ?? ((name: string) => service.get(name));
  const list = options.list ?? ((filter: { tags?: Tag[] } | undefined) => service.list(filter));
  const entityRef = { $ref: `${schemaId}#` };
  const readQuery = { type: 'object', properties: { ...options.query } } as const;

  app.post(
    `/${kind}`,
    {
      schema: {
        operationId: `create${schemaId}`,
        summary: `Create a ${kind}`,
        tags: [tag],
        body: { $ref: `${schemaId}Create#` },
        response: { 201: entityRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      // The body is checked against `<schemaId>Create`, named at run time, so its type cannot be read from the
      // schema here; its shape is checked and core checks its values (enums, names, references).
      const created = await service.create(request.body as CreateInput<T>);
      return reply.code(201).send(created);
    },
  );

  app.get(
    `/${kind}`,
    {
      schema: {
        operationId: `list${schemaId}s`,
        summary: `List ${kind}s`,
        tags: [tag],
        querystring: { ...tagFilterQuery, properties: { ...tagFilterQuery.properties, ...options.query } },
        response: { 200: { type: 'array', items: entityRef }, ...errorResponses },
      },
    },
    async (request) => {
      const tags = parseTagFilter(request.query.tags);
      return list(tags === undefined ? undefined : { tags }, request.query);
    },
  );

  app.get(
    `/${kind}/:name`,
    {
      schema: {
        operationId: `get${schemaId}`,
        summary: `Get a ${kind}`,
        tags: [tag],
        params: nameParams,
        querystring: readQuery,
        response: { 200: entityRef, ...errorResponses },
      },
    },
    async (request) => read(request.params.name, request.query),
  );

  app.get(
    `/${kind}/:name/events`,
    {
      schema: {
        operationId: `watch${schemaId}`,
        summary: `Stream a ${kind}'s status changes and build or deploy progress as NDJSON, until it is READY or ERROR`,
        tags: [tag],
        params: nameParams,
        response: { 200: { description: 'NDJSON lines {type: status|progress|deleted, status?, reason?, line?}' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await service.get(request.params.name); // 404 before the stream starts
      const stop = new AbortController();
      await replyNdjson(reply, stop, service.watch(request.params.name, { signal: stop.signal }));
    },
  );

  app.put(
    `/${kind}/:name`,
    {
      schema: {
        operationId: `update${schemaId}`,
        summary: `Update a ${kind}`,
        tags: [tag],
        params: nameParams,
        body: { $ref: `${schemaId}Update#` },
        response: { 200: entityRef, ...errorResponses },
      },
    },
    async (request) => service.update(request.params.name, request.body as UpdateInput<T>),
  );

  app.delete(
    `/${kind}/:name`,
    {
      schema: {
        operationId: `delete${schemaId}`,
        summary: `Delete a ${kind}; answers with the deleted ${kind}`,
        tags: [tag],
        params: nameParams,
        response: { 200: entityRef, ...errorResponses },
      },
    },
    async (request) => service.delete(request.params.name),
  );
}
