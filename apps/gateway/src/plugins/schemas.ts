import { errorSchema, tagSchema } from '../schemas/common.js';
import { allEntitySchemas } from '../schemas/entities.js';
import { runFailureSchema, runRequestSchema, runSchema } from '../schemas/runs.js';
import fp from 'fastify-plugin';

/** Adds the shared schemas to the app, so routes reference them by `$id` (`{ $ref: 'Function#' }`). */
export const schemasPlugin = fp(async (app) => {
  app.addSchema(errorSchema);
  app.addSchema(tagSchema);
  for (const { entity, create, update } of allEntitySchemas) {
    app.addSchema(entity);
    app.addSchema(create);
    app.addSchema(update);
  }
  app.addSchema(runSchema);
  app.addSchema(runFailureSchema);
  app.addSchema(runRequestSchema);
});
