import type { Dispatch, EndpointMatch } from '@dispatch/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { runFailure } from '../run-failure.js';
import { noteRun } from '../metrics/metrics-plugin.js';
import { captureTriggerBodies } from '../triggers/raw-body.js';
import { registerSnsBodies } from '../triggers/sns/sns-body.js';
import { createTriggerHandlers, type TriggerOptions } from '../triggers/triggers.js';
import { allowedMethods, registerEndpointCors } from './cors.js';
import { checkEndpointAuth } from './endpoint-auth.js';
import { endpointPayload } from './payload.js';
import { markPublic, publicBody } from './public-errors.js';

export interface IngressOptions {
  dispatch: Dispatch;
  triggers?: TriggerOptions;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * Endpoint ingress: a request no route claims (so `/v1` and `/healthz` keep priority) runs the function of the
 * endpoint matching its host, path and method, and is answered with the function's output as JSON.
 */
export const ingressPlugin = fp<IngressOptions>(async (app, { dispatch, triggers = {} }) => {
  const { endpoints, runs } = dispatch;
  const triggerHandlers = createTriggerHandlers(dispatch, triggers, app.log);
  captureTriggerBodies(app, dispatch);

  // The match of a request, found once for the CORS hooks and the handler.
  const matches = new WeakMap<FastifyRequest, EndpointMatch | undefined>();
  const matchOf = (request: FastifyRequest): EndpointMatch | undefined => {
    if (matches.has(request)) return matches.get(request);
    const match = endpoints.match(request.hostname.toLowerCase(), pathOf(request.url), request.method);
    matches.set(request, match);
    return match;
  };

  // Endpoint traffic gets a scope of its own: its hooks (CORS) run for no route of the API, console or health.
  await app.register(async (scope) => {
    await registerEndpointCors(scope, (request) => matchOf(request)?.endpoint);
    registerSnsBodies(scope, (request) => matchOf(request)?.endpoint);
    scope.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
      const path = pathOf(request.url);
      const match = matchOf(request);
      if (match === undefined) {
        return reply.code(404).send({ code: 404, message: `no endpoint matches ${request.method} ${path}` });
      }
      markPublic(request);
      const { endpoint } = match;

      // OPTIONS never runs a function: a CORS preflight was answered by @fastify/cors already, and this is a
      // question about the methods (or a preflight to an endpoint without CORS).
      if (request.method === 'OPTIONS') {
        return reply.code(204).header('allow', allowedMethods(endpoint).join(', ')).send();
      }

      // Trigger endpoints authenticate the caller by the request's own signature (Alexa's, GitHub's).
      if (endpoint.trigger === 'alexa' || endpoint.trigger === 'github') {
        return triggerHandlers[endpoint.trigger](endpoint, request, reply);
      }

      const refused = await checkEndpointAuth(dispatch, endpoint, request);
      if (refused) {
        return reply.code(401).header('www-authenticate', refused.challenge).send({ code: 401, message: refused.message });
      }
      // SNS signs the message itself; basic auth (in the subscription's URL) may guard the endpoint as well.
      if (endpoint.trigger === 'sns') return triggerHandlers.sns(endpoint, request, reply);

      const run = await runs.execute(endpoint.function, endpointPayload(request, match.params), { blocking: true, record: true });
      noteRun(reply, run);
      const failure = runFailure(run);
      if (failure) return reply.code(failure.code).send(publicBody(request, reply, failure, run.error));
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(run.output ?? null));
    });
  });
});
