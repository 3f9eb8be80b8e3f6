import { registerCrudRoutes } from './crud.js';
import type { AdminRoutes } from './typed-routes.js';

/** `/v1/function`: CRUD of functions. */
export const functionsRoutes: AdminRoutes = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'function', schemaId: 'Function', tag: 'functions', service: dispatch.functions });
};
