import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';

export interface SwaggerOptions {
  version: string;
}

/**
 * Collects the route schemas into an OpenAPI document (served at `/v1/openapi.json`). Registered before the
 * routes, since it learns about them as they are added. Shared schemas keep their `$id` as component names.
 */
export const swaggerPlugin = fp<SwaggerOptions>(async (app, { version }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Dispatch',
        description: 'The REST API of the Dispatch gateway: images, functions, secrets, endpoints, schedules and runs.',
        version,
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'The gateway token (DISPATCH_TOKEN)' },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
});
