import type { IncomingMessage } from 'node:http';
import type { Connection } from '../lib/connection.js';
import { GatewayError } from '../lib/errors.js';
import { unreachable } from './unreachable.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Extra request headers (an Idempotency-Key, say). */
  headers?: Record<string, string>;
}

/** An answer of the gateway: the status, and the body to read whole or to stream. */
export interface GatewayResponse {
  status: number;
  statusText: string;
  ok: boolean;
  /** The body as it arrives (for streams such as logs). */
  body: AsyncIterable<Buffer>;
  text(): Promise<string>;
}

function toResponse(message: IncomingMessage): GatewayResponse {
  const status = message.statusCode ?? 0;
  return {
    status,
    statusText: message.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    body: message,
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of message) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/**
 * JSON over HTTP to one gateway: the bearer token, the error bodies, and the failures to connect. It uses
 * node:http and node:https rather than fetch: fetch's first call costs ~75 ms of start-up, which every
 * command would pay, and `insecure` is then a plain TLS option.
 */
export class GatewayHttp {
  constructor(readonly connection: Connection) {}

  private url(path: string, query: Query = {}): URL {
    const url = new URL(`${this.connection.url}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Sends a request and answers the response, whatever its status; throws only when nothing answered. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<GatewayResponse> {
    const headers: Record<string, string> = { ...options.headers, accept: 'application/json' };
    if (this.connection.token !== undefined) headers.authorization = `Bearer ${this.connection.token}`;
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const https = this.connection.scheme === 'https';
    const transport = https ? await import('node:https') : await import('node:http');
    const tls = https && this.connection.insecure ? { rejectUnauthorized: false } : {};
    try {
      return await new Promise<GatewayResponse>((resolve, reject) => {
        const request = transport.request(this.url(path, options.query), { method, headers, ...tls }, (message) =>
          resolve(toResponse(message)),
        );
        request.on('error', reject);
        request.end(payload);
      });
    } catch (error) {
      throw unreachable(this.connection, error);
    }
  }

  /** Sends a request and answers its JSON body; a non-2xx answer becomes a GatewayError with its message. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const body = await readBody(response, this.connection);
    if (!response.ok) {
      const error = errorOf(response, body);
      if (response.status === 401 && this.connection.token === undefined) {
        // Only a gateway started by this user on this machine is found by itself; any other needs its token.
        throw new GatewayError(401, `${error.message}; give it with --token or DISPATCH_TOKEN, or in the context`, body);
      }
      throw error;
    }
    return body as T;
  }
}

async function readBody(response: GatewayResponse, connection: Connection): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw unreachable(connection, error);
  }
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The gateway's `{code, message}`, or the status and the start of whatever else answered. */
export function errorOf(response: Pick<GatewayResponse, 'status' | 'statusText'>, body: unknown): GatewayError {
  if (typeof body === 'object' && body !== null) {
    const { code, message } = body as { code?: unknown; message?: unknown };
    if (typeof message === 'string') {
      return new GatewayError(typeof code === 'number' ? code : response.status, message, body);
    }
  }
  const snippet = typeof body === 'string' ? `: ${body.trim().split('\n', 1)[0]?.slice(0, 200) ?? ''}` : '';
  return new GatewayError(response.status, `${response.status} ${response.statusText}${snippet}`, body);
}
