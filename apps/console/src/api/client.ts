import { forgetToken, readToken } from './token.js';

/** An answer of the gateway that was not a success: its `{code, message}`. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** One HTTP exchange as the tester shows it: what went out and what came back, byte for byte. */
export interface Exchange {
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; statusText: string; headers: Record<string, string>; body: string };
  ms: number;
}

/** Listeners told when the token is refused, so the page goes back to the sign-in prompt. */
const onUnauthorized = new Set<() => void>();
export function whenUnauthorized(listener: () => void): () => void {
  onUnauthorized.add(listener);
  return () => onUnauthorized.delete(listener);
}

/**
 * The headers of every admin API call: the bearer token and JSON, which the gateway requires of same-origin
 * callers (a cross-site form cannot send either).
 */
export function adminHeaders(): Record<string, string> {
  const token = readToken();
  if (token === undefined) throw new ApiError(401, 'not signed in');
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' };
}

function headersOf(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  headers.forEach((value, name) => (result[name] = value));
  return result;
}

function parse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends a request and records the exchange; never throws for an HTTP status. */
export async function send(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
  signal?: AbortSignal,
): Promise<Exchange & { response: NonNullable<Exchange['response']> }> {
  const started = performance.now();
  const response = await fetch(url, { method, headers, body, signal, credentials: 'omit', cache: 'no-store' });
  const text = await response.text();
  return {
    request: { method, url, headers, ...(body === undefined ? {} : { body }) },
    response: { status: response.status, statusText: response.statusText, headers: headersOf(response.headers), body: text },
    ms: Math.round(performance.now() - started),
  };
}

/** Calls the admin API (`/v1/...`) and answers the parsed body; a non-2xx answer throws its ApiError. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers = adminHeaders();
  // Fastify refuses an empty body announced as JSON (a DELETE has none).
  if (body === undefined) delete headers['content-type'];
  const exchange = await send(method, path, headers, body === undefined ? undefined : JSON.stringify(body), signal);
  return resultOf<T>(exchange.response);
}

/** The parsed body of a 2xx answer, or its ApiError. */
export function resultOf<T>(response: { status: number; body: string }): T {
  const parsed = parse(response.body);
  if (response.status >= 200 && response.status < 300) return parsed as T;
  if (response.status === 401) {
    forgetToken();
    for (const listener of onUnauthorized) listener();
  }
  const failure = parsed as { code?: number; message?: string } | undefined;
  const message = typeof failure?.message === 'string' ? failure.message : `HTTP ${response.status}`;
  throw new ApiError(response.status, message, parsed);
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
