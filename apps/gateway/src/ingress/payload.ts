import { DispatchError } from '@dispatch/core';
import type { FastifyRequest } from 'fastify';

const QUERY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * The function's payload for an endpoint request: the query map for GET and DELETE (a repeated key gives an
 * array), the parsed body otherwise (a JSON document, or the map of a form), the query map when there is none.
 * Throws 415 for a body of another content type: fastify hands unknown types to the not-found handler unparsed.
 */
export function endpointPayload(request: FastifyRequest): unknown {
  if (!QUERY_METHODS.has(request.method)) {
    if (request.body !== undefined) return request.body;
    const contentType = request.headers['content-type'];
    if (contentType !== undefined) {
      throw new DispatchError(
        415,
        `unsupported content type ${contentType.split(';', 1)[0]}: send application/json or application/x-www-form-urlencoded`,
      );
    }
  }
  return { ...(request.query as Record<string, unknown>) };
}
