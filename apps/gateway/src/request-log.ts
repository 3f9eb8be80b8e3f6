import { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * Logs each request at debug level rather than fastify's info: two info lines per run would cost more than
 * the gateway's own work on the run path. Paths are logged without their query, which may carry credentials.
 */
export class DebugRequestLog extends LogController {
  /** Set once the logger's level is known; nothing is built for a request line below debug. */
  verbose = false;

  override incomingRequest(request: FastifyRequest): void {
    if (!this.verbose) return;
    request.log.debug({ method: request.method, path: pathOf(request) }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && !this.verbose) return;
    const fields = { method: request.method, path: pathOf(request), statusCode: reply.statusCode, ms: reply.elapsedTime };
    if (error) {
      reply.log.error({ ...fields, err: error }, 'request errored');
    } else {
      reply.log.debug(fields, 'request completed');
    }
  }
}
