import type { Endpoint } from '@dispatch/core';
import type { FastifyRequest } from 'fastify';

const DEFAULT_ALLOWED_HEADERS = 'Content-Type, Authorization';

/**
 * The `Access-Control-Allow-*` headers for a request to an endpoint, or undefined when the endpoint has CORS
 * off or the request's origin is not one of the endpoint's allowed origins.
 */
export function corsHeaders(endpoint: Endpoint, request: FastifyRequest): Record<string, string> | undefined {
  const { cors } = endpoint;
  const enabled = typeof cors === 'boolean' ? cors : cors?.enabled === true;
  if (!enabled) return undefined;

  const origin = request.headers.origin;
  const origins = typeof cors === 'object' ? cors.origins : undefined;
  const restricted = origins !== undefined && origins.length > 0 && !origins.includes('*');
  if (restricted && (origin === undefined || !origins.includes(origin))) return undefined;

  const requestedHeaders = request.headers['access-control-request-headers'];
  return {
    'access-control-allow-origin': origin ?? '*',
    'access-control-allow-methods': [...new Set([...endpoint.methods, 'OPTIONS'])].join(', '),
    'access-control-allow-headers':
      typeof requestedHeaders === 'string' && requestedHeaders !== '' ? requestedHeaders : DEFAULT_ALLOWED_HEADERS,
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}
