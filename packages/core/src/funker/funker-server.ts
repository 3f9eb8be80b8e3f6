import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** Answers one decoded funker request; its return value (or `null` for nothing) is the reply. */
export type FunkerHandler = (request: unknown) => unknown | Promise<unknown>;

/** Tuning and hooks of a funker server. */
export interface FunkerServerOptions {
  /**
   * Milliseconds a connection may stay silent while the request is read, and while the reply is written;
   * default 30000. It frees the connections of callers that never half-close. It does not limit the handler,
   * which owns its own timeout.
   */
  idleTimeoutMs?: number;
  /** Largest request accepted, in bytes; default unlimited. A larger request is dropped without a reply. */
  maxRequestBytes?: number;
  /**
   * Called instead of the handler when the request is not JSON; its return value is sent as the reply.
   * Without it, such a request gets an empty reply: funker has no error replies, and an empty reply is how
   * a caller learns that the call failed.
   */
  onBadRequest?: (error: Error, body: Buffer) => unknown;
  /** Told about a handler that threw (its caller gets an empty reply), for logging. */
  onError?: (error: unknown) => void;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * A funker function server: for every connection, reads the request until the caller half-closes,
 * decodes it once as UTF-8 JSON, calls `handler`, writes `JSON.stringify(result ?? null)` and closes.
 * A handler that throws closes the connection without a reply. Start it with `listenFunker`.
 */
export function createFunkerServer(handler: FunkerHandler, options: FunkerServerOptions = {}): Server {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxRequestBytes = options.maxRequestBytes ?? Infinity;

  // allowHalfOpen: the caller's FIN marks the end of the request, and the reply still has to go out after it.
  return createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => socket.destroy());
    // A caller that goes away mid-call only loses its own reply.
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRequestBytes) {
        socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    socket.once('end', () => {
      // The handler may legitimately take long; the idle timeout only guards reading and writing.
      socket.setTimeout(0);
      void answer(socket, Buffer.concat(chunks, size), handler, options).finally(() => {
        if (!socket.destroyed) socket.setTimeout(idleTimeoutMs);
      });
    });
  });
}

async function answer(socket: Socket, body: Buffer, handler: FunkerHandler, options: FunkerServerOptions): Promise<void> {
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch (error) {
    if (options.onBadRequest) {
      await reply(socket, () => options.onBadRequest?.(error as Error, body), options);
    } else {
      socket.end();
    }
    return;
  }
  await reply(socket, () => handler(request), options);
}

async function reply(socket: Socket, produce: () => unknown, options: FunkerServerOptions): Promise<void> {
  let json: string;
  try {
    const result = await produce();
    // A result JSON cannot hold (a cycle, a BigInt) is the handler's failure, like a throw.
    json = JSON.stringify(result ?? null) ?? 'null';
  } catch (error) {
    options.onError?.(error);
    if (!socket.destroyed) socket.end();
    return;
  }
  if (!socket.destroyed) socket.end(json);
}

/** Starts a funker server on `host:port` (port 0 picks a free one) and resolves with the bound port. */
export function listenFunker(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
