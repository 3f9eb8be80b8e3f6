import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FunctionEndpoint } from './function-endpoint.js';

/** An HTTP answer, read whole. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** Why a call got no answer: nothing listened, the connection dropped after the request went out, or time ran out. */
export class HttpCallError extends Error {
  constructor(
    message: string,
    readonly kind: 'connect' | 'dropped' | 'deadline' | 'aborted',
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HttpCallError';
  }
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Keep-alive agents shared by every call of one driver. */
export interface HttpAgents {
  http: Agent;
  https: HttpsAgent;
}

export function createAgents(): HttpAgents {
  return {
    http: new Agent({ keepAlive: true, maxSockets: 128 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 128 }),
  };
}

/**
 * One HTTP request with node:http (global fetch drops the Host header, which an ingress routes by), ended
 * at `deadline`. Connection failures before the request was sent are `connect` (safe to retry).
 */
export function httpCall(
  agents: HttpAgents,
  endpoint: FunctionEndpoint,
  options: { method: string; path: string; body?: string; deadline: number; signal?: AbortSignal },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const remaining = options.deadline - Date.now();
    if (remaining <= 0) return reject(new HttpCallError('deadline passed before the call', 'deadline'));
    const secure = endpoint.url.protocol === 'https:';
    const headers: Record<string, string> = { host: endpoint.host, accept: 'application/json' };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const call = (secure ? httpsRequest : request)({
      protocol: endpoint.url.protocol,
      hostname: endpoint.url.hostname,
      port: endpoint.url.port === '' ? (secure ? 443 : 80) : Number(endpoint.url.port),
      method: options.method,
      path: options.path,
      headers,
      agent: secure ? agents.https : agents.http,
      servername: endpoint.host.replace(/:\d+$/, ''),
    });
    let connected = false;
    const timer = setTimeout(() => call.destroy(new HttpCallError(`no answer within ${remaining} ms`, 'deadline')), remaining);
    const onAbort = (): void => void call.destroy(new HttpCallError('the call was aborted', 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    call.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    call.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        finish();
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', (error) => {
        finish();
        reject(new HttpCallError(`the answer broke off: ${error.message}`, 'dropped'));
      });
    });
    call.on('error', (error: NodeJS.ErrnoException) => {
      finish();
      if (error instanceof HttpCallError) return reject(error);
      const code = error.code;
      if (!connected || (code !== undefined && CONNECT_ERRORS.has(code))) {
        return reject(new HttpCallError(`cannot connect to ${endpoint.describe}: ${code ?? error.message}`, 'connect', code));
      }
      reject(new HttpCallError(`the connection dropped during the call: ${code ?? error.message}`, 'dropped', code));
    });
    call.end(options.body);
  });
}
