import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { DeadlineExceededError } from '../errors.js';
import { formatAddress } from '../funker/funker-errors.js';
import { WireConnectError, WireConnectionLostError, WireReplyTooLargeError } from './wire-errors.js';
import { FrameReader, WIRE_PREFACE, WireKind, encodeFrame } from './wire-frame.js';

/** A function server's Unix socket (local backend) or TCP address (a Swarm task). */
export type WireTarget = { path: string } | { host: string; port: number };

export interface WireConnectOptions {
  /** Milliseconds to wait for the connection; default 2000. */
  connectTimeoutMs?: number;
  /** TCP keepalive delay (TCP targets); default 30000, under the 60 s after which a Swarm overlay drops idle connections. */
  keepAliveMs?: number;
  /** Largest reply accepted, in bytes; default unlimited. A larger one fails its call only: it is skipped, not read. */
  maxReplyBytes?: number;
}

export interface WireCallOptions {
  /** Epoch milliseconds after which the call is abandoned (its late reply is dropped; the connection stays). */
  deadline: number;
  signal?: AbortSignal;
}

interface PendingCall {
  resolve: (reply: Buffer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_KEEPALIVE_MS = 30_000;
const MAX_TIMER_MS = 2_147_483_647;
const MAX_ID = 0xffff_ffff;

/**
 * One long-lived connection to a function server, carrying many calls at once (see wire-frame.ts). Set up once
 * per replica, not per call. When it closes, the calls in flight fail with WireConnectionLostError (they were
 * written, so the function may have run them) and later calls with WireConnectError (never written).
 */
export class WireConnection {
  /** `host:port` or the socket path, for messages. */
  readonly target: string;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 0;
  private closedWith: string | undefined;
  private readonly closeListeners: Array<() => void> = [];
  private pongs: Array<() => void> = [];
  /** Frames written in this turn of the event loop are held and leave together when it ends. */
  private corked = false;

  private constructor(
    private readonly socket: Socket,
    target: string,
    maxReplyBytes: number,
  ) {
    this.target = target;
    const reader = new FrameReader(
      {
        frame: (id, kind, body) => this.onFrame(id, kind, body),
        tooLarge: (id) => this.settle(id, new WireReplyTooLargeError(this.target, maxReplyBytes)),
      },
      maxReplyBytes,
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.onClose(error.code ?? 'ECONNRESET', error));
    socket.once('close', () => this.onClose('ECONNRESET'));
    socket.once('end', () => socket.end());
  }

  /** Opens a connection and sends the preface; rejects with WireConnectError. */
  static connect(target: WireTarget, options: WireConnectOptions = {}): Promise<WireConnection> {
    const name = 'path' in target ? target.path : formatAddress(target.host, target.port);
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket =
        'path' in target
          ? createConnection({ path: target.path })
          : createConnection({
              host: target.host,
              port: target.port,
              noDelay: true,
              keepAlive: true,
              keepAliveInitialDelay: options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS,
            });
      const timer = setTimeout(() => fail('ETIMEDOUT'), timeoutMs);
      const onError = (error: NodeJS.ErrnoException): void => fail(error.code ?? 'ECONNRESET', error);
      function fail(errno: string, cause?: Error): void {
        clearTimeout(timer);
        socket.destroy();
        reject(new WireConnectError(name, errno, cause === undefined ? undefined : { cause }));
      }
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.write(WIRE_PREFACE);
        resolve(new WireConnection(socket, name, options.maxReplyBytes ?? Infinity));
      });
    });
  }

  /** Whether calls may still be written on it. */
  get open(): boolean {
    return this.closedWith === undefined;
  }

  /** Calls written and not answered yet. */
  get inflight(): number {
    return this.pending.size;
  }

  /** Runs `fn` once when the connection closes (at once if it has). */
  onClosed(fn: () => void): void {
    if (this.closedWith !== undefined) fn();
    else this.closeListeners.push(fn);
  }

  /** Sends one request body (JSON text) and resolves with the reply body (the envelope's JSON bytes). */
  call(body: string, options: WireCallOptions): Promise<Buffer> {
    const { deadline, signal } = options;
    if (this.closedWith !== undefined) return Promise.reject(new WireConnectError(this.target, 'ECLOSED'));
    if (signal?.aborted) return Promise.reject(this.aborted(signal));
    const left = deadline - Date.now();
    if (!(left > 0)) return Promise.reject(this.deadlineExceeded());
    this.nextId = this.nextId >= MAX_ID ? 1 : this.nextId + 1;
    const id = this.nextId;
    return new Promise<Buffer>((resolve, reject) => {
      const call: PendingCall = { resolve, reject, timer: undefined, signal, onAbort: undefined };
      call.timer = setTimeout(() => this.expire(id, deadline), Math.min(left, MAX_TIMER_MS));
      if (signal !== undefined) {
        call.onAbort = () => this.settle(id, this.aborted(signal));
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      this.pending.set(id, call);
      this.send(encodeFrame(id, WireKind.call, body));
    });
  }

  /** Round trip of a ping, in ms; rejects when no pong comes within `timeoutMs` (the connection is then closed). */
  ping(timeoutMs: number): Promise<number> {
    if (this.closedWith !== undefined) return Promise.reject(new WireConnectError(this.target, 'ECLOSED'));
    const sentAt = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Its pong will never be matched: take it out first, so that closing does not answer it.
        this.pongs = this.pongs.filter((other) => other !== pong);
        reject(new WireConnectionLostError(this.target, 'EPINGTIMEOUT'));
        this.close();
      }, timeoutMs);
      const pong = (): void => {
        clearTimeout(timer);
        if (this.closedWith === undefined) resolve(Date.now() - sentAt);
        else reject(new WireConnectionLostError(this.target, this.closedWith));
      };
      this.pongs.push(pong);
      this.socket.write(encodeFrame(0, WireKind.ping));
    });
  }

  /** Closes the connection; calls in flight fail with WireConnectionLostError. */
  close(): void {
    this.socket.destroy();
    this.onClose('ECLOSED');
  }

  /**
   * Writes a frame with the others written in the same turn of the event loop: under load the gateway reads many
   * requests in one turn, and one write (one system call) for all their calls costs less than one per call.
   */
  private send(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
    }
    this.socket.write(frame);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  private onFrame(id: number, kind: number, body: Buffer): void {
    if (kind === WireKind.reply) {
      const call = this.pending.get(id);
      if (call === undefined) return; // its caller gave up (deadline, abort)
      this.pending.delete(id);
      this.clear(call);
      call.resolve(body);
    } else if (kind === WireKind.pong) {
      this.pongs.shift()?.();
    } else if (kind === WireKind.ping) {
      this.socket.write(encodeFrame(0, WireKind.pong));
    }
  }

  private expire(id: number, deadline: number): void {
    const left = deadline - Date.now();
    const call = this.pending.get(id);
    if (call === undefined) return;
    if (left > 0) call.timer = setTimeout(() => this.expire(id, deadline), Math.min(left, MAX_TIMER_MS));
    else this.settle(id, this.deadlineExceeded());
  }

  private settle(id: number, error: Error): void {
    const call = this.pending.get(id);
    if (call === undefined) return;
    this.pending.delete(id);
    this.clear(call);
    call.reject(error);
  }

  private clear(call: PendingCall): void {
    clearTimeout(call.timer);
    if (call.onAbort !== undefined) call.signal?.removeEventListener('abort', call.onAbort);
  }

  private onClose(errno: string, cause?: Error): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = errno;
    this.socket.destroy();
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      this.clear(call);
      call.reject(new WireConnectionLostError(this.target, errno, cause === undefined ? undefined : { cause }));
    }
    const pongs = this.pongs;
    this.pongs = [];
    for (const pong of pongs) pong();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private deadlineExceeded(): DeadlineExceededError {
    return new DeadlineExceededError(`wire: no reply from ${this.target} before the deadline`);
  }

  private aborted(signal: AbortSignal): DeadlineExceededError {
    return new DeadlineExceededError(`wire: call to ${this.target} aborted`, { cause: signal.reason });
  }
}
