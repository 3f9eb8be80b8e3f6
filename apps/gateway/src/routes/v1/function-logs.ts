import { once } from 'node:events';
import type { Dispatch, LogLine } from '@dispatch/core';
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, nameParams } from '../../schemas/common.js';

interface LogsQuery {
  follow?: boolean;
  tail?: number;
}

/**
 * Writes one JSON document per line, so a client can print each line as it comes. The headers go out at once:
 * a follower must not wait for the first line to know the stream is open.
 */
async function streamNdjson(response: ServerResponse, lines: AsyncIterable<LogLine>): Promise<void> {
  response.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache' });
  response.flushHeaders();
  try {
    for await (const line of lines) {
      if (response.destroyed) break;
      if (!response.write(`${JSON.stringify(line)}\n`)) await once(response, 'drain');
    }
  } finally {
    response.end();
  }
}

/**
 * `GET /v1/function/{name}/logs?follow=&tail=`: what the function printed, as NDJSON lines
 * `{time, stream, line, source}`. With `follow=true` the answer stays open and streams new lines until the
 * client goes away.
 */
export const functionLogsRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  app.get<{ Params: { name: string }; Querystring: LogsQuery }>(
    '/function/:name/logs',
    {
      schema: {
        tags: ['functions'],
        summary: "Stream a function's logs as NDJSON",
        params: nameParams,
        querystring: {
          type: 'object',
          properties: {
            follow: { type: 'boolean', default: false, description: 'Keep streaming new lines' },
            tail: { type: 'integer', minimum: 0, description: 'Start with at most this many of the newest lines' },
          },
        },
        response: {
          200: { description: 'NDJSON lines {time, stream, line, source}' },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const stop = new AbortController();
      // The client hanging up ends a followed stream (the response closes with its connection).
      reply.raw.once('close', () => stop.abort());
      const lines = await dispatch.functions.logs(request.params.name, {
        follow: request.query.follow ?? false,
        ...(request.query.tail === undefined ? {} : { tail: request.query.tail }),
        signal: stop.signal,
      });
      // Past this point the answer is a stream written by hand; errors before it (404) went through fastify.
      reply.hijack();
      await streamNdjson(reply.raw, lines);
    },
  );
};
