import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { Endpoint } from '@dispatch/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Decides the CORS answer of one request from the endpoint it reaches; undefined when no endpoint matches. */
export type EndpointOf = (request: FastifyRequest) => Endpoint | undefined;

const NO_CORS: FastifyCorsOptions = { origin: false };

/** The methods an endpoint answers, OPTIONS included: its `Allow` and `Access-Control-Allow-Methods`. */
export function allowedMethods(endpoint: Endpoint): string[] {
  return [...new Set([...endpoint.methods, 'OPTIONS'])];
}

/**
 * `@fastify/cors` options for a request to an endpoint: none when the endpoint has CORS off or the request's
 * origin is not one of the endpoint's allowed origins; otherwise the caller's origin is reflected (`*` without
 * one) and a preflight is answered with 204 before auth or the function run.
 */
export function endpointCorsOptions(endpoint: Endpoint | undefined, request: FastifyRequest): FastifyCorsOptions {
  const cors = endpoint?.cors;
  const enabled = typeof cors === 'boolean' ? cors : cors?.enabled === true;
  if (endpoint === undefined || !enabled) return NO_CORS;

  const origin = request.headers.origin;
  const origins = typeof cors === 'object' ? cors.origins : undefined;
  const restricted = origins !== undefined && origins.length > 0 && !origins.includes('*');
  if (restricted && (origin === undefined || !origins.includes(origin))) return NO_CORS;

  return {
    origin: origin === undefined ? '*' : true,
    methods: allowedMethods(endpoint),
    maxAge: 600,
    // An OPTIONS without Origin or Access-Control-Request-Method asks for the methods: 204, not 400.
    strictPreflight: false,
  };
}

/**
 * CORS for endpoint traffic, registered in the ingress' own scope so that `/v1` (which refuses cross-site
 * requests), `/ui` and `/healthz` never get CORS headers.
 */
export async function registerEndpointCors(scope: FastifyInstance, endpointOf: EndpointOf): Promise<void> {
  // A preflight is answered in @fastify/cors' hook, before the ingress handler; the Allow header goes first.
  scope.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'OPTIONS') return;
    const endpoint = endpointOf(request);
    if (endpoint !== undefined) reply.header('allow', allowedMethods(endpoint).join(', '));
  });
  await scope.register(fastifyCors, {
    delegator: (request, callback) => callback(null, endpointCorsOptions(endpointOf(request), request)),
  });
}
