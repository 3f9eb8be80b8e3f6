import { Transform } from 'node:stream';
import type { Dispatch } from '@dispatch/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SNS_MAX_BODY_BYTES, snsBodyTooLarge } from './sns/sns-body.js';

const rawBodies = new WeakMap<FastifyRequest, Buffer[]>();

/** The bytes of a trigger endpoint's request body exactly as they arrived (signatures are over these). */
export function rawBodyOf(request: FastifyRequest): Buffer {
  const chunks = rawBodies.get(request);
  return chunks === undefined ? Buffer.alloc(0) : Buffer.concat(chunks);
}

/**
 * Keeps a copy of the body's bytes for requests to trigger endpoints (Alexa and GitHub sign the raw body),
 * as they stream into fastify's usual parser, which still enforces the body limit. Requests to the API and
 * to plain endpoints pass untouched.
 */
export function captureTriggerBodies(app: FastifyInstance, dispatch: Dispatch): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.is404) return payload;
    const query = request.url.indexOf('?');
    const match = dispatch.endpoints.match(
      request.hostname.toLowerCase(),
      query < 0 ? request.url : request.url.slice(0, query),
      request.method,
    );
    // Signed requests: trigger endpoints, and endpoints with `hmac` auth.
    if (match === undefined || (match.endpoint.trigger === 'http' && match.endpoint.auth !== 'hmac')) return payload;
    // SNS bodies have a limit of their own, far below the gateway's: a message is at most 256 KiB.
    const limit = match.endpoint.trigger === 'sns' ? SNS_MAX_BODY_BYTES : Infinity;
    if (Number(request.headers['content-length'] ?? 0) > limit) throw snsBodyTooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    rawBodies.set(request, chunks);
    const tee = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > limit) return callback(snsBodyTooLarge());
        chunks.push(chunk);
        callback(null, chunk);
      },
    });
    payload.on('error', (error) => tee.destroy(error));
    return payload.pipe(tee);
  });
}
