import formbody from '@fastify/formbody';
import { InvalidInputError } from '@dispatch/core';
import type { Dispatch } from '@dispatch/core';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import { endOpenStreams } from './routes/v1/ndjson-stream.js';
import { ingressPlugin } from './ingress/ingress.js';
import { consoleRoutes } from './console/console-routes.js';
import { DebugRequestLog } from './request-log.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { exactBodyValidators } from './plugins/validator-compilers.js';
import { schemasPlugin } from './plugins/schemas.js';
import { swaggerPlugin } from './plugins/swagger.js';
import { healthRoutes } from './routes/health.js';
import { metricsPlugin, type MetricsAccess } from './metrics/metrics-plugin.js';
import { adminApi } from './routes/v1/index.js';
import type { TriggerOptions } from './triggers/triggers.js';

/** 6 MiB, as function sources travel base64-encoded in JSON bodies. */
export const DEFAULT_BODY_LIMIT = 6 * 1024 * 1024;

export interface GatewayOptions {
  dispatch: Dispatch;
  /** The bearer token the admin API requires, always (on loopback too: any web page can reach loopback). */
  token: string;
  /** The largest request body accepted, in bytes (default 6 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** fastify's `logger` option: false (default), true, or pino options. */
  logger?: FastifyServerOptions['logger'];
  /** A logger to use as is (a pino instance), instead of `logger`. */
  loggerInstance?: FastifyBaseLogger;
  /** Where the gateway will listen: the admin API answers to that name (and loopback names, and IP addresses). */
  listenHost?: string;
  /** More host names the admin API answers to (a DNS name in front of the gateway). */
  allowedHosts?: string[];
  /** Origins of web pages allowed to call the admin API (it refuses cross-site requests otherwise). */
  allowedOrigins?: string[];
  /** How trigger endpoints check their callers (Alexa's trust anchors and certificate fetcher…). */
  triggers?: TriggerOptions;
  /** Who may read `/metrics`: by default the admin token only (docs/metrics.md). */
  metrics?: MetricsAccess;
}

/**
 * Builds the gateway: the REST API under `/v1`, `/healthz`, the OpenAPI document, and the endpoint ingress
 * for everything else. It does not listen; `startGateway` does, and tests use `app.inject()`.
 */
export async function buildApp(options: GatewayOptions): Promise<FastifyInstance> {
  const { dispatch, token } = options;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new InvalidInputError('the admin API needs a token: set DISPATCH_TOKEN, or let startGateway generate one');
  }
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const requestLog = new DebugRequestLog();

  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    bodyLimit,
    logController: requestLog,
    requestIdHeader: 'x-request-id',
    // Start-up work of the store and backend (reconciliation, a queue recovered after a crash) shares the event loop
    // with plugin registration; fastify's 10 s default would blame whichever plugin was loading on a busy machine.
    pluginTimeout: 60_000,
    schemaController: { compilersFactory: { buildValidator: exactBodyValidators() } },
    ajv: {
      customOptions: {
        // Unknown body fields are dropped, not refused: existing clients send extras such as `kind`.
        removeAdditional: true,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
      },
    },
  }) as unknown as FastifyInstance;
  requestLog.verbose = app.log.level === 'debug' || app.log.level === 'trace';

  // Bodies are JSON or forms; plain text is refused (415) rather than handed to a function as a string.
  app.removeContentTypeParser('text/plain');
  await app.register(formbody);
  await app.register(errorHandlerPlugin, { bodyLimit });
  await app.register(schemasPlugin);
  await app.register(swaggerPlugin, { version: dispatch.info().version });
  await app.register(healthRoutes);
  await app.register(metricsPlugin, { dispatch, adminToken: token, ...options.metrics });
  await app.register(adminApi, {
    prefix: '/v1',
    dispatch,
    token,
    listenHost: options.listenHost,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
  });
  await app.register(consoleRoutes, { prefix: '/ui' });
  // Followed streams (logs, events) end with a last line when the gateway stops, instead of holding it open.
  app.addHook('preClose', async () => endOpenStreams(app.server));
  await app.register(ingressPlugin, { dispatch, ...(options.triggers ? { triggers: options.triggers } : {}) });
  return app;
}
