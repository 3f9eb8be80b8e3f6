import { registerCrudRoutes } from './crud.js';
import type { AdminRoutes } from './typed-routes.js';

/** `/v1/endpoint`: CRUD of endpoints. */
export const endpointsRoutes: AdminRoutes = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'endpoint', schemaId: 'Endpoint', tag: 'endpoints', service: dispatch.endpoints });
};
