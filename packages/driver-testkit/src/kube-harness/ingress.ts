import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Backend, Reconciler } from './reconciler.js';

/** How long the ingress holds a request while its Service has no ready replica (Knative's activator buffers too). */
const HOLD_MS = 30_000;
const RETRY_MS = 50;

/**
 * The harness's ingress gateway: routes each request by its Host header to a ready replica of the Service's
 * serving revision (round robin), holds requests while no replica is ready, answers 404 for unknown hosts,
 * 502 when the container drops a request it was given, and 504 past the revision's timeoutSeconds.
 */
export function createIngress(reconciler: Reconciler): Server {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void route(reconciler, req, res, Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

async function route(reconciler: Reconciler, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const host = req.headers.host ?? '';
  const until = Date.now() + HOLD_MS;
  for (;;) {
    const backend = reconciler.backendFor(host);
    if (backend === 'unknown-host') return reply(res, 404, '');
    if (backend !== 'no-revision' && backend.replicas.length > 0) {
      const outcome = await forward(backend, req, res, body);
      if (outcome !== 'refused') return;
    }
    if (Date.now() > until || req.destroyed) return reply(res, 503, 'no healthy upstream');
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function forward(backend: Backend, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<'done' | 'refused'> {
  const { revision, replicas } = backend;
  const replica = replicas[revision.next++ % replicas.length];
  const port = replica?.hostPort ?? 0;
  return new Promise((resolve) => {
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false }, (response) => {
      clearTimeout(timer);
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
      response.on('end', () => resolve('done'));
      response.on('error', () => {
        res.destroy();
        resolve('done');
      });
    });
    let sent = false;
    const timer = setTimeout(() => {
      upstream.destroy();
      reply(res, 504, 'upstream request timeout');
      resolve('done');
    }, revision.timeoutSeconds * 1000);
    upstream.on('socket', (socket) => socket.on('connect', () => (sent = true)));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // Whatever happened, this replica is not to get more requests until the readiness probe passes again.
      if (replica !== undefined) replica.ready = false;
      if (res.headersSent) {
        res.destroy();
        return resolve('done');
      }
      // Refused: nothing listened (a restarting container), so the request never reached a handler.
      if (!sent && error.code === 'ECONNREFUSED') return resolve('refused');
      reply(res, 502, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
      resolve('done');
    });
    upstream.end(body);
  });
}

function reply(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
