import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync } from 'fastify';
import { registerCrudRoutes } from './crud.js';

/** `/v1/image`: CRUD of images. */
export const imagesRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'image', schemaId: 'Image', tag: 'images', service: dispatch.images });
};
