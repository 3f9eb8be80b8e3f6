import type { Dispatch, Run } from '@dispatch/core';
import type { FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { errorResponses } from '../schemas/common.js';
import { bearerToken, secureMatcher } from '../secure-compare.js';
import { createGatewayMetrics } from './gateway-metrics.js';

declare module 'fastify' {
  interface FastifyReply {
    /** The function call's time (ms) of the run this request made, -1 when it made none: the overhead is the rest. */
    dispatchCallMs: number;
  }
}

/** Who may read `/metrics`. */
export interface MetricsAccess {
  /** Anyone may (`DISPATCH_METRICS_PUBLIC=true`): for a gateway whose port only the scraper reaches. */
  public?: boolean;
  /** A token that reads `/metrics` and nothing else (`DISPATCH_METRICS_TOKEN`), besides the admin token. */
  token?: string;
}

export interface MetricsPluginOptions extends MetricsAccess {
  dispatch: Dispatch;
  adminToken: string;
  /** How long the backend's replica counts are reused between scrapes, in ms (default 5000). */
  replicaCacheMs?: number;
}

/**
 * Notes on the reply that the request ran `run`, so that its gateway overhead is counted when it is answered. A run
 * that waited for its function to start is left out: that wait is a cold start, counted as one, not overhead.
 */
export function noteRun(reply: FastifyReply, run: Run): void {
  if (run.durationMs !== undefined && run.coldStartMs === undefined) reply.dispatchCallMs = run.durationMs;
}

/**
 * `GET /metrics` in Prometheus' text format, from a registry of this gateway's own (docs/metrics.md). It needs the
 * admin token or the metrics token, unless `public`: the series name every function and tell how busy the gateway is.
 */
export const metricsPlugin = fp<MetricsPluginOptions>(async (app, options) => {
  const { dispatch } = options;
  const metrics = createGatewayMetrics(dispatch, options.replicaCacheMs === undefined ? {} : { replicaCacheMs: options.replicaCacheMs });
  const stopObserving = dispatch.observe(metrics.observer);
  app.addHook('onClose', async () => stopObserving());

  // Decorated with a number, so every reply has the field from the start (one shape) and the hook only compares.
  app.decorateReply('dispatchCallMs', -1);
  app.addHook('onResponse', (_request, reply, done) => {
    if (reply.dispatchCallMs >= 0) metrics.observeOverhead(Math.max(0, reply.elapsedTime - reply.dispatchCallMs));
    done();
  });

  const matchers = [options.adminToken, options.token]
    .filter((token): token is string => typeof token === 'string' && token !== '')
    .map(secureMatcher);
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['server'],
        ...(options.public ? { security: [] } : {}),
        response: { 200: { type: 'string' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!options.public) {
        const given = bearerToken(request.headers.authorization);
        if (given === undefined || !matchers.some((matches) => matches(given))) {
          const message =
            given === undefined
              ? '/metrics requires an Authorization: Bearer <token> header (the admin token or DISPATCH_METRICS_TOKEN)'
              : 'the bearer token is not valid for /metrics';
          return reply.code(401).header('www-authenticate', 'Bearer realm="dispatch"').send({ code: 401, message });
        }
      }
      const text = await metrics.scrape();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
});
