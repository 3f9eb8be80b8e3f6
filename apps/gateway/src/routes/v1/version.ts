import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../schemas/common.js';

/** `/v1/version`: the gateway's version and the backend it runs functions on. */
export const versionRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  app.get(
    '/version',
    {
      schema: {
        operationId: 'getVersion',
        summary: "The server's version and backend",
        tags: ['server'],
        response: {
          200: {
            type: 'object',
            required: ['version', 'backend'],
            properties: { version: { type: 'string' }, backend: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async () => dispatch.info(),
  );
};
