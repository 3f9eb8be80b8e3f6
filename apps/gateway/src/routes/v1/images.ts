import { registerCrudRoutes } from './crud.js';
import type { AdminRoutes } from './typed-routes.js';

/** `/v1/image`: CRUD of images. */
export const imagesRoutes: AdminRoutes = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'image', schemaId: 'Image', tag: 'images', service: dispatch.images });
};
