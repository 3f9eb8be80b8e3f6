import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface BrowserGuardOptions {
  /** Where the gateway listens: its name is one the admin API answers to. */
  listenHost?: string;
  /** More host names the admin API answers to (`DISPATCH_ALLOWED_HOSTS`): a DNS name in front of the gateway. */
  allowedHosts?: string[];
  /** Origins of web pages allowed to call the admin API (`DISPATCH_ALLOWED_ORIGINS`), e.g. `https://ops.example.com`. */
  allowedOrigins?: string[];
}

/** Host headers whose answer is remembered (the gateway's own names, in a few spellings). */
const MAX_REMEMBERED_HOSTS = 64;
const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a browser may send cross-site without a preflight (a plain HTML form does): none of it reaches the API. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function hostnameOf(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed?.[1]) return bracketed[1].toLowerCase();
  // A bare IPv6 address has colons of its own; anything else may end with :port.
  if (isIP(host) === 6) return host.toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

function forbidden(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(403).send({ code: 403, message });
}

/**
 * Keeps web pages from driving the admin API, whatever they know: a request must name this gateway in `Host`
 * (a page that rebinds its own DNS name to 127.0.0.1 still sends that name), must not come from another site
 * (`Sec-Fetch-Site`, `Origin`) unless that origin is allowed, and a body must be JSON, which no HTML form can
 * send and which a cross-site `fetch` can send only after a CORS preflight that the admin API never grants.
 */
export const browserGuardPlugin = fp<BrowserGuardOptions>(async (app, options) => {
  const names = new Set(['localhost', ...(options.allowedHosts ?? []).map((name) => name.toLowerCase())]);
  if (options.listenHost) names.add(hostnameOf(options.listenHost));
  const origins = new Set((options.allowedOrigins ?? []).map((origin) => origin.replace(/\/+$/, '').toLowerCase()));

  // Whether a Host header names this gateway, by header: the same few values come on every request.
  const hostAnswers = new Map<string, boolean>();
  function answersTo(host: string): boolean {
    let answers = hostAnswers.get(host);
    if (answers === undefined) {
      const hostname = hostnameOf(host);
      // IP literals cannot be rebound; names must be the gateway's own.
      answers = names.has('*') || isIP(hostname) !== 0 || names.has(hostname);
      // Bounded: a caller choosing Host headers must not grow it without end.
      if (hostAnswers.size >= MAX_REMEMBERED_HOSTS) hostAnswers.clear();
      hostAnswers.set(host, answers);
    }
    return answers;
  }

  // A callback hook, not an async one: it runs on every admin request, runs included, and has nothing to await.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const host = request.headers.host ?? '';
    // Answered here without `done()`; nothing returned, since fastify would await a returned reply.
    if (!answersTo(host)) {
      forbidden(
        reply,
        `the admin API does not answer to the host "${hostnameOf(host)}": add it to DISPATCH_ALLOWED_HOSTS if it names this gateway`,
      );
      return;
    }

    const origin = request.headers.origin;
    const site = request.headers['sec-fetch-site'];
    const sameOrigin = origin !== undefined && origin.toLowerCase() === `${request.protocol}://${host}`.toLowerCase();
    const allowedOrigin = origin !== undefined && origins.has(origin.toLowerCase());
    const crossSite = (site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !sameOrigin);
    if (crossSite && !allowedOrigin) {
      forbidden(
        reply,
        `the admin API refuses cross-site requests (origin ${origin ?? 'unknown'}): add the origin to DISPATCH_ALLOWED_ORIGINS to allow it`,
      );
      return;
    }

    const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
    if (!METHODS_WITHOUT_BODY.has(request.method) && hasBody && request.headers['content-length'] !== '0') {
      const type = request.headers['content-type'] ?? '';
      if (!JSON_TYPE.test(type)) {
        reply
          .code(415)
          .send({ code: 415, message: `the admin API takes JSON bodies only (Content-Type: application/json), not "${type || 'none'}"` });
        return;
      }
    }
    done();
  });
});
