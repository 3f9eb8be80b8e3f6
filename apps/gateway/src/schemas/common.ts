/**
 * JSON Schemas shared by the routes. Each is added to the app once (`addSchema`) and referenced by `$id`, so
 * that validation, serialisation and the OpenAPI document's `components.schemas` all come from one place.
 * Route schemas check shapes only; the domain rules (names, references between entities) live in core.
 */

/**
 * The error body of every failure: `{code, message}`, `code` being the HTTP status; `kind` (and `entity`) for the
 * failures a program acts on, so that no client matches the message's text.
 */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'integer' },
    message: { type: 'string' },
    kind: {
      type: 'string',
      description: '`EntityNotFound` or `RouteNotFound` (404); absent for other failures. More kinds may be added',
    },
    entity: {
      type: 'object',
      description: 'With `EntityNotFound`: the entity asked for',
      properties: { kind: { type: 'string' }, name: { type: 'string' } },
    },
  },
} as const;

export const tagSchema = {
  $id: 'Tag',
  type: 'object',
  required: ['key'],
  additionalProperties: false,
  properties: {
    key: { type: 'string' },
    value: { type: 'string' },
  },
} as const;

export const stringList = { type: 'array', items: { type: 'string' } } as const;
export const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

/** The fields every stored entity has, as answered. */
export const entityMetaProperties = {
  name: { type: 'string' },
  id: { type: 'string' },
  createdTime: { type: 'number', description: 'Unix seconds' },
  modifiedTime: { type: 'number', description: 'Unix seconds' },
  revision: { type: 'integer' },
  tags: { type: 'array', items: { $ref: 'Tag#' } },
  status: { type: 'string', enum: ['INITIALIZED', 'CREATING', 'READY', 'UPDATING', 'ERROR', 'DELETING'] },
  reason: { type: 'string' },
} as const;

/** Error responses every route may answer with. */
export const errorResponses = {
  '4xx': { $ref: 'Error#' },
  '5xx': { $ref: 'Error#' },
} as const;

export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' } },
} as const;

export const tagFilterQuery = {
  type: 'object',
  properties: {
    tags: { ...stringList, description: 'Only entities carrying this tag, as `key=value`; repeatable' },
  },
} as const;
