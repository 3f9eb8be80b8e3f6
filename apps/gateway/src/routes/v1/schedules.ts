import { registerCrudRoutes } from './crud.js';
import type { AdminRoutes } from './typed-routes.js';

/** `/v1/schedule`: CRUD of schedules; each is answered with its next tick times. */
export const schedulesRoutes: AdminRoutes = async (app, { dispatch }) => {
  registerCrudRoutes(app, { kind: 'schedule', schemaId: 'Schedule', tag: 'schedules', service: dispatch.schedules });
};
