import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync } from 'fastify';
import { registerCrudRoutes } from './crud.js';

/** `/v1/schedule`: CRUD of schedules; each is answered with its next tick times. */
export const schedulesRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'schedule', schemaId: 'Schedule', tag: 'schedules', service: dispatch.schedules });
};
