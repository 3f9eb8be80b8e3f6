import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync } from 'fastify';
import { browserGuardPlugin, type BrowserGuardOptions } from '../../admin/browser-guard.js';
import { adminAuthPlugin } from '../../plugins/auth.js';
import { baseImagesRoutes } from './base-images.js';
import { endpointsRoutes } from './endpoints.js';
import { functionLogsRoutes } from './function-logs.js';
import { functionsRoutes } from './functions.js';
import { imagesRoutes } from './images.js';
import { openApiRoutes } from './openapi.js';
import { runsRoutes } from './runs.js';
import { schedulesRoutes } from './schedules.js';
import { secretsRoutes } from './secrets.js';
import { versionRoutes } from './version.js';

export interface AdminApiOptions extends BrowserGuardOptions {
  dispatch: Dispatch;
  token: string;
}

/** The admin API, registered under `/v1`: every route behind the admin token. */
export const adminApi: FastifyPluginAsync<AdminApiOptions> = async (app, { dispatch, token, ...guard }) => {
  // Cross-site and foreign-Host requests are refused before the token is even looked at.
  await app.register(browserGuardPlugin, guard);
  await app.register(adminAuthPlugin, { token });
  await app.register(baseImagesRoutes, { dispatch });
  await app.register(imagesRoutes, { dispatch });
  await app.register(functionsRoutes, { dispatch });
  await app.register(functionLogsRoutes, { dispatch });
  await app.register(secretsRoutes, { dispatch });
  await app.register(endpointsRoutes, { dispatch });
  await app.register(schedulesRoutes, { dispatch });
  await app.register(runsRoutes, { dispatch });
  await app.register(versionRoutes, { dispatch });
  await app.register(openApiRoutes);

  // Unknown paths under /v1 are API mistakes, not endpoint traffic.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    return reply.code(404).send({ code: 404, kind: 'RouteNotFound', message: `no route for ${request.method} ${path}` });
  });
};
