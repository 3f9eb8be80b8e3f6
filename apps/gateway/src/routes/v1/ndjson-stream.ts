import { once } from 'node:events';
import type { Server } from 'node:http';
import type { FastifyReply } from 'fastify';

/** The last line of every stream the gateway ends because it is stopping (documented in docs/api.md). */
export const GATEWAY_STOPPED = { type: 'stopped', message: 'the gateway stopped' } as const;

/** The streams open on each server, each with the function that ends it. */
const openStreams = new WeakMap<Server, Set<() => void>>();

/**
 * Ends every stream open on `server` with the {@link GATEWAY_STOPPED} line. Called when the gateway closes:
 * a followed stream never ends by itself, so without this a client would hang and the server would wait for it.
 */
export function endOpenStreams(server: Server): void {
  for (const end of openStreams.get(server) ?? []) end();
}

/**
 * Answers with a stream of JSON documents, one per line (NDJSON), written as they come. The headers go out at
 * once, so a client knows the stream is open before the first line. The stream ends when `items` ends, when the
 * client goes away (then `stop` aborts, which ends a followed source), or when the gateway stops (with a last
 * `{"type":"stopped"}` line). Call it once the request is known to be valid: errors before it go through
 * fastify's error handler as usual.
 */
export async function replyNdjson<T>(reply: FastifyReply, stop: AbortController, items: AsyncIterable<T>): Promise<void> {
  const response = reply.raw;
  const streams = openStreams.get(reply.server.server) ?? new Set();
  openStreams.set(reply.server.server, streams);
  const end = () => {
    if (!response.writableEnded && !response.destroyed) response.end(`${JSON.stringify(GATEWAY_STOPPED)}\n`);
    stop.abort();
  };
  streams.add(end);
  response.once('close', () => stop.abort());
  reply.hijack();
  response.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache' });
  response.flushHeaders();
  try {
    for await (const item of items) {
      if (response.writableEnded || response.destroyed) break;
      if (!response.write(`${JSON.stringify(item)}\n`)) await once(response, 'drain', { signal: stop.signal });
    }
  } catch (error) {
    // A client that stopped reading while the gateway stops: nothing more to write.
    if (!stop.signal.aborted) throw error;
  } finally {
    streams.delete(end);
    if (!response.writableEnded) response.end();
  }
}
