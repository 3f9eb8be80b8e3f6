import type { FastifyPluginAsync } from 'fastify';

/** `/v1/openapi.json`: the OpenAPI document built from the route schemas. */
export const openApiRoutes: FastifyPluginAsync = async (app) => {
  app.get('/openapi.json', { schema: { hide: true, summary: 'This OpenAPI document' } }, async (_request, reply) =>
    reply.type('application/json').send(app.swagger()),
  );
};
