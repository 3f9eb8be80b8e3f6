import { createConnection } from 'node:net';
import { DeadlineExceededError } from '../errors.js';
import {
  FunkerBadReplyError,
  FunkerConnectError,
  FunkerEmptyReplyError,
  FunkerIncompleteReplyError,
  FunkerReplyTooLargeError,
  formatAddress,
} from './funker-errors.js';

/** How to reach a funker function server and how long to wait for it. */
export interface FunkerCallOptions {
  host: string;
  port: number;
  /** Epoch milliseconds after which the call is abandoned and the socket destroyed. */
  deadline: number;
  /** Milliseconds to wait for the TCP connection; default 2000. Capped by `deadline`. */
  connectTimeoutMs?: number;
  /**
   * TCP keepalive delay in milliseconds; default 30000, under the 60 s after which a Swarm overlay
   * silently drops idle connections (moby#29655), so a long-running handler keeps its caller.
   */
  keepAliveMs?: number;
  /** Abandons the call, like a passed deadline. */
  signal?: AbortSignal;
  /** Called once the connection is up, as the request goes out: from then on the function may receive it. */
  onConnect?: () => void;
  /** Largest reply accepted, in bytes; default unlimited. A larger reply fails the call with a FunkerReplyTooLargeError. */
  maxReplyBytes?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_KEEPALIVE_MS = 30_000;
/** setTimeout fires at once for delays above 2^31-1 ms, so longer waits are done in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Sends one request body and resolves with the raw reply bytes, which may be empty (a failed handler).
 * The request is written and half-closed in one step (`socket.end(body)`); the reply is whatever arrives
 * until the server closes.
 *
 * Throws FunkerConnectError (503, retryable) when nothing answered, DeadlineExceededError (504) when the
 * deadline passed or the signal aborted, FunkerIncompleteReplyError (502) when the connection failed mid-reply.
 */
export function funkerCallRaw(body: Buffer | string, options: FunkerCallOptions): Promise<Buffer> {
  const { host, port, deadline, signal } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const maxReplyBytes = options.maxReplyBytes ?? Infinity;

  if (signal?.aborted) return Promise.reject(aborted(host, port, signal));
  const remaining = deadline - Date.now();
  if (!(remaining > 0)) return Promise.reject(deadlineExceeded(host, port));

  return new Promise<Buffer>((resolve, reject) => {
    const socket = createConnection({
      host,
      port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS,
    });
    const chunks: Buffer[] = [];
    let received = 0;
    let connected = false;
    let settled = false;
    // One timer at a time: it first fires at the connect timeout (if sooner than the deadline), then is
    // re-armed once for the rest of the deadline.
    const connectDeadline = Date.now() + connectTimeoutMs;
    let timer = setTimeout(onTimer, clampDelay(Math.min(connectDeadline, deadline) - Date.now()));

    function finish(error: Error | undefined, reply?: Buffer): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        socket.destroy();
        reject(error);
      } else {
        resolve(reply as Buffer);
      }
    }

    function onTimer(): void {
      const now = Date.now();
      if (!connected && now >= connectDeadline && connectDeadline < deadline) {
        finish(new FunkerConnectError(host, port, 'ETIMEDOUT'));
        return;
      }
      const left = deadline - now;
      if (left > 0) {
        timer = setTimeout(onTimer, clampDelay(left));
        return;
      }
      finish(deadlineExceeded(host, port));
    }

    function onAbort(): void {
      finish(aborted(host, port, signal));
    }

    signal?.addEventListener('abort', onAbort, { once: true });

    socket.once('connect', () => {
      connected = true;
      options.onConnect?.();
      const left = deadline - Date.now();
      if (connectDeadline < deadline && left > 0) {
        clearTimeout(timer);
        timer = setTimeout(onTimer, clampDelay(left));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxReplyBytes) {
        finish(new FunkerReplyTooLargeError(host, port, maxReplyBytes));
        return;
      }
      chunks.push(chunk);
    });
    socket.once('end', () => {
      // Our side is already half-closed, so the socket closes itself; the reply is complete.
      finish(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      const errno = error.code ?? 'ECONNRESET';
      finish(
        received > 0
          ? new FunkerIncompleteReplyError(host, port, errno, received, { cause: error })
          : new FunkerConnectError(host, port, errno, { cause: error }),
      );
    });
    socket.once('close', () => {
      // Every call closes, so don't build an error (and its stack) unless the call is still open: that is only
      // when the socket closed without 'end' or 'error', which Node does not do today.
      if (settled) return;
      finish(
        received > 0
          ? new FunkerIncompleteReplyError(host, port, 'ECONNRESET', received)
          : new FunkerConnectError(host, port, 'ECONNRESET'),
      );
    });

    // Node queues the write until the connection is up; `end` sends FIN right after the body.
    socket.end(body);
  });
}

/**
 * Calls a funker function: sends `request` as JSON and resolves with the decoded JSON reply. A handler that
 * returned nothing answers `null`; a handler that failed answers nothing, which throws FunkerEmptyReplyError.
 * A reply that is not JSON throws FunkerBadReplyError. See `funkerCallRaw` for the transport errors.
 */
export async function funkerCall(request: unknown, options: FunkerCallOptions): Promise<unknown> {
  const reply = await funkerCallRaw(JSON.stringify(request) ?? 'null', options);
  return decodeFunkerReply(reply, options.host, options.port);
}

/**
 * Decodes a complete reply: UTF-8 once over all the bytes (decoding chunk by chunk corrupts characters
 * split between chunks), then JSON.
 */
export function decodeFunkerReply(reply: Buffer, host: string, port: number): unknown {
  if (reply.length === 0) throw new FunkerEmptyReplyError(host, port);
  const text = reply.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') throw new FunkerEmptyReplyError(host, port);
    throw new FunkerBadReplyError(host, port, text, { cause: error });
  }
}

function clampDelay(ms: number): number {
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms > 0 ? ms : 0;
}

function deadlineExceeded(host: string, port: number): DeadlineExceededError {
  return new DeadlineExceededError(`funker: no reply from ${formatAddress(host, port)} before the deadline`);
}

function aborted(host: string, port: number, signal: AbortSignal | undefined): DeadlineExceededError {
  return new DeadlineExceededError(`funker: call to ${formatAddress(host, port)} aborted`, { cause: signal?.reason });
}
