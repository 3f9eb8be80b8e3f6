import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync } from 'fastify';
import { registerCrudRoutes } from './crud.js';

/** `/v1/endpoint`: CRUD of endpoints. */
export const endpointsRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'endpoint', schemaId: 'Endpoint', tag: 'endpoints', service: dispatch.endpoints });
};
