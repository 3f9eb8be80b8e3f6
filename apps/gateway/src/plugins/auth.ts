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
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const given = bearerToken(request.headers.authorization);
    if (given !== undefined && matches(given)) return;
    const message =
      given === undefined
        ? 'the admin API requires an Authorization: Bearer <token> header'
        : 'the bearer token is not valid for this gateway';
    return reply.code(401).header('www-authenticate', 'Bearer realm="dispatch"').send({ code: 401, message });
  });
});
