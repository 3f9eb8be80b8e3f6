import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { consoleFilesDir } from './console-files.js';

/**
 * The console's pages may load only their own script and stylesheet and talk only to this origin: no inline
 * script, no eval, no framing, no form posted elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Hashed assets never change under their name; index.html names the current ones and is checked every time. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export interface ConsoleRoutesOptions {
  /** Where the built files are; found through `@dispatch/console` when absent. */
  filesDir?: string;
}

/**
 * The web console at `/ui/` (register with prefix `/ui`): static files, strict headers, long caching for
 * hashed assets, precompressed bytes when the browser takes gzip. A gateway built without the console says so.
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (app, options) => {
  const root = options.filesDir ?? consoleFilesDir();
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 404, message: `the console has no page ${request.url.split('?', 1)[0]}` }),
  );
  if (root === undefined || !existsSync(join(root, 'index.html'))) {
    const notBuilt = {
      code: 503,
      message: 'this gateway was built without its console: run `npx nx run @dispatch/console:build`, then restart it',
    };
    app.get('/', (_request, reply) => reply.code(503).send(notBuilt));
    app.get('/*', (_request, reply) => reply.code(503).send(notBuilt));
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    preCompressed: true,
    cacheControl: false,
    index: ['index.html'],
    schemaHide: true,
    setHeaders(response, path) {
      response.setHeader('cache-control', path.includes('/assets/') ? IMMUTABLE : REVALIDATE);
    },
  });
};
