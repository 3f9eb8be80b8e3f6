import { DispatchError, InvalidInputError } from '@dispatch/core';
import type { FastifyRequest } from 'fastify';

const QUERY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * The request's own payload: the query map for GET and DELETE (a repeated key gives an array), the parsed body
 * otherwise (a JSON document, or the map of a form), the query map when there is none. Throws 415 for a body of
 * another content type: fastify hands unknown types to the not-found handler unparsed.
 */
function requestPayload(request: FastifyRequest): unknown {
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

/**
 * The function's payload for an endpoint request (see docs/endpoints.md): the request's payload, with the
 * endpoint path's named parameters (`/users/:id`) merged in; a parameter wins over a query or body field of the
 * same name, since the route, not the caller, defines it. The rest of a `/*` path is not a parameter (existing
 * prefix endpoints keep their payloads). A body that is not an object cannot carry parameters: 400.
 */
export function endpointPayload(request: FastifyRequest, params: Readonly<Record<string, string>> = {}): unknown {
  const payload = requestPayload(request);
  const named = Object.entries(params).filter(([name]) => name !== '*');
  if (named.length === 0) return payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidInputError(
      `this endpoint's path has parameters (${named.map(([name]) => `:${name}`).join(', ')}): send a JSON object body, a form or a query`,
    );
  }
  return { ...(payload as Record<string, unknown>), ...Object.fromEntries(named) };
}
