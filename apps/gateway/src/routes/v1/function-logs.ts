import { errorResponses, nameParams } from '../../schemas/common.js';
import { replyNdjson } from './ndjson-stream.js';
import type { AdminRoutes } from './typed-routes.js';

const logsQuery = {
  type: 'object',
  properties: {
    follow: { type: 'boolean', default: false, description: 'Keep streaming new lines' },
    tail: { type: 'integer', minimum: 0, description: 'Start with at most this many of the newest lines' },
  },
} as const;

/**
 * `GET /v1/function/{name}/logs?follow=&tail=`: what the function printed, as NDJSON lines
 * `{time, stream, line, source}`. With `follow=true` the answer stays open and streams new lines until the
 * client goes away.
 */
export const functionLogsRoutes: AdminRoutes = async (app, { dispatch }) => {
  app.get(
    '/function/:name/logs',
    {
      schema: {
        tags: ['functions'],
        summary: "Stream a function's logs as NDJSON",
        params: nameParams,
        querystring: logsQuery,
        response: {
          200: { description: 'NDJSON lines {time, stream, line, source}' },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const stop = new AbortController();
      const lines = await dispatch.functions.logs(request.params.name, {
        follow: request.query.follow ?? false,
        ...(request.query.tail === undefined ? {} : { tail: request.query.tail }),
        signal: stop.signal,
      });
      await replyNdjson(reply, stop, lines);
    },
  );
};
