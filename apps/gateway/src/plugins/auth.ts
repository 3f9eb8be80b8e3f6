import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, secureMatcher } from '../secure-compare.js';
import fp from 'fastify-plugin';

export interface AdminAuthOptions {
  /** The admin token, always set. */
  token: string;
}

/** Requires `Authorization: Bearer <token>` on every route of the context it is registered in (the admin API). */
export const adminAuthPlugin = fp<AdminAuthOptions>(async (app, { token }) => {
  const matches = secureMatcher(token);
  // A callback hook, not an async one: it runs on every admin request, runs included, and has nothing to await.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const given = bearerToken(request.headers.authorization);
    if (given !== undefined && matches(given)) return done();
    const message =
      given === undefined
        ? 'the admin API requires an Authorization: Bearer <token> header'
        : 'the bearer token is not valid for this gateway';
    // Answered without `done()`, and nothing returned: fastify would await a returned reply.
    reply.code(401).header('www-authenticate', 'Bearer realm="dispatch"').send({ code: 401, message });
  });
});
