import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync } from 'fastify';
import { registerCrudRoutes } from './crud.js';

/** `/v1/function`: CRUD of functions. */
export const functionsRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'function', schemaId: 'Function', tag: 'functions', service: dispatch.functions });
};
