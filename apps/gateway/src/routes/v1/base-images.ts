import { registerCrudRoutes } from './crud.js';
import type { AdminRoutes } from './typed-routes.js';

/** `/v1/baseimage`: CRUD of base images. */
export const baseImagesRoutes: AdminRoutes = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'baseimage', schemaId: 'BaseImage', tag: 'base images', service: dispatch.baseImages });
};
