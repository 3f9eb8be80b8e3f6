import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../plugins/error-handler.js';

/** What a public caller reads for a 5xx: the kind of failure, never its details. */
const GENERIC: Readonly<Record<number, string>> = {
  500: 'internal error',
  501: 'not served here',
  502: 'the function failed',
  503: 'the function is not available',
  504: 'the function did not answer in time',
};

/** Requests that came through the endpoint ingress: their 5xx answers are generic (see `publicBody`). */
const publicRequests = new WeakSet<FastifyRequest>();

/** Marks a request as one of a public endpoint's callers. */
export function markPublic(request: FastifyRequest): void {
  publicRequests.add(request);
}

export function isPublic(request: FastifyRequest): boolean {
  return publicRequests.has(request);
}

/**
 * The body a public endpoint's caller gets. A 4xx says what to change and is kept; a 5xx would show the
 * gateway's or the function's internals (messages, stack lines, engine errors), so it is logged with the request
 * id and answered with a generic message that carries that id, which an operator finds in the log.
 */
export function publicBody(request: FastifyRequest, reply: FastifyReply, body: ErrorBody, error?: unknown): ErrorBody {
  if (body.code < 500) return body;
  request.log.error({ err: error, status: body.code, detail: body.message }, 'endpoint request failed');
  reply.header('x-request-id', request.id);
  return { code: body.code, message: `${GENERIC[body.code] ?? 'internal error'} (request id ${request.id})` };
}
