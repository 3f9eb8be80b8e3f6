import { DispatchError, EntityNotFoundError } from '@dispatch/core';
import type { EntityKind } from '@dispatch/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPublic, publicBody } from '../ingress/public-errors.js';
import fp from 'fastify-plugin';

/**
 * What a program may act on without reading `message`: `EntityNotFound` (with `entity`) for a name that does not
 * exist, `RouteNotFound` for a path the gateway does not serve. New kinds may be added; clients ignore unknown ones.
 */
export type ErrorKind = 'EntityNotFound' | 'RouteNotFound';

export interface ErrorBody {
  code: number;
  message: string;
  kind?: ErrorKind;
  /** With `EntityNotFound`: the entity asked for. */
  entity?: { kind: EntityKind; name: string };
}

/** Statuses for fastify's own errors, with messages that tell a client what to change. */
function fastifyErrorBody(error: FastifyError, bodyLimit: number): ErrorBody | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 413, message: `request body is larger than the limit of ${bodyLimit} bytes` };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 400, message: 'malformed JSON: the body is not valid JSON' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 400, message: 'malformed JSON: the body is empty but content-type is application/json' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        code: 415,
        message: 'unsupported content type: send application/json or application/x-www-form-urlencoded',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 400, message: 'request body size does not match content-length' };
  }
  if (error.validation) {
    return { code: 400, message: error.message };
  }
  // fastify's other client errors (bad URL, proto poisoning) carry their own 4xx status and a safe message.
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return { code: error.statusCode, message: error.message };
  }
  return undefined;
}

/** Maps every error to `{code, message}` with the matching status. */
export function toErrorBody(error: unknown, bodyLimit: number): ErrorBody {
  if (error instanceof EntityNotFoundError) {
    return { code: error.code, message: error.message, kind: 'EntityNotFound', entity: error.entity };
  }
  if (DispatchError.isInstance(error)) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    const body = fastifyErrorBody(error as FastifyError, bodyLimit);
    if (body) return body;
  }
  return { code: 500, message: 'internal error; the gateway log has the details' };
}

/**
 * The one error handler: domain errors keep their status and message, fastify's errors become 4xx with a
 * message naming what is wrong, and anything else is a 500 whose details go to the log, not to the client.
 * Endpoint callers get generic 5xx messages (see `publicBody`).
 */
export const errorHandlerPlugin = fp<{ bodyLimit: number }>(async (app, { bodyLimit }) => {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const body = toErrorBody(error, bodyLimit);
    // A public endpoint's caller never sees internals; the admin API keeps full messages for its operators.
    if (isPublic(request)) return reply.code(body.code).send(publicBody(request, reply, body, error));
    if (body.code >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.debug({ err: error }, 'request rejected');
    }
    return reply.code(body.code).send(body);
  });
});
