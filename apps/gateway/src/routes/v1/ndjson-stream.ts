import { once } from 'node:events';
import type { FastifyReply } from 'fastify';

/**
 * Answers with a stream of JSON documents, one per line (NDJSON), written as they come. The headers go out at
 * once, so a client knows the stream is open before the first line. The stream ends when `items` ends or the
 * client goes away (then `stop` aborts, which ends a followed source). Call it once the request is known to be
 * valid: errors before it go through fastify's error handler as usual.
 */
export async function replyNdjson<T>(reply: FastifyReply, stop: AbortController, items: AsyncIterable<T>): Promise<void> {
  const response = reply.raw;
  response.once('close', () => stop.abort());
  reply.hijack();
  response.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache' });
  response.flushHeaders();
  try {
    for await (const item of items) {
      if (response.destroyed) break;
      if (!response.write(`${JSON.stringify(item)}\n`)) await once(response, 'drain');
    }
  } finally {
    response.end();
  }
}
