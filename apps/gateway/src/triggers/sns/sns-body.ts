import type { Endpoint } from '@dispatch/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The largest SNS request body accepted. SNS messages are at most 256 KiB; the envelope adds the signature and
 * JSON escaping of the message, which stays well under this for any real message.
 */
export const SNS_MAX_BODY_BYTES = 1024 * 1024;

function clientError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

/** The error a stream is destroyed with when an SNS body passes `SNS_MAX_BODY_BYTES` (413). */
export function snsBodyTooLarge(): Error {
  return clientError(413, `an SNS message body is at most ${SNS_MAX_BODY_BYTES} bytes`);
}

/**
 * SNS posts its JSON as `text/plain; charset=UTF-8`, which the gateway otherwise refuses (415): in the ingress
 * scope, such a body is parsed as JSON for `sns` endpoints only. Its size is capped as it streams in (see
 * `captureTriggerBodies`).
 */
export function registerSnsBodies(scope: FastifyInstance, endpointOf: (request: FastifyRequest) => Endpoint | undefined): void {
  scope.addContentTypeParser('text/plain', async (request: FastifyRequest, payload: NodeJS.ReadableStream) => {
    if (endpointOf(request)?.trigger !== 'sns') {
      throw clientError(415, `Unsupported Media Type: ${request.headers['content-type'] ?? 'text/plain'}`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of payload) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw clientError(400, 'malformed JSON: an SNS message body is a JSON document');
    }
  });
}
