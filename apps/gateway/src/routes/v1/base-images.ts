import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync } from 'fastify';
import { registerCrudRoutes } from './crud.js';

/** `/v1/baseimage`: CRUD of base images. */
export const baseImagesRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'baseimage', schemaId: 'BaseImage', tag: 'base images', service: dispatch.baseImages });
};
