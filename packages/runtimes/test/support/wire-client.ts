import { connect, type Socket } from 'node:net';
import type { Envelope } from './funker-call.js';

/**
 * A minimal client of Dispatch's wire protocol, written from its description (core's wire-frame.ts) rather than
 * imported, so that these tests hold the function servers to the format itself: a 4-byte preface, then frames
 * of u32 body length | u32 call id | u8 kind (1 call, 2 reply, 3 ping, 4 pong) | body.
 */
export class WireTestClient {
  private readonly waiting = new Map<number, (body: string) => void>();
  private pongs: Array<() => void> = [];
  private data = Buffer.alloc(0);
  private nextId = 0;
  /** Every frame kind received, in order. */
  readonly kinds: number[] = [];
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static open(target: { port: number } | { path: string }): Promise<WireTestClient> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in target ? connect({ path: target.path }) : connect({ port: target.port, host: '127.0.0.1' });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.write(Buffer.from([0, 0x44, 0x57, 1]));
        resolve(new WireTestClient(socket));
      });
    });
  }

  /** Writes raw bytes, for frames split at odd places. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  static frame(id: number, kind: number, body = ''): Buffer {
    const bytes = Buffer.from(body, 'utf8');
    const header = Buffer.alloc(9);
    header.writeUInt32BE(bytes.length, 0);
    header.writeUInt32BE(id, 4);
    header.writeUInt8(kind, 8);
    return Buffer.concat([header, bytes]);
  }

  /** Sends a call and resolves with its decoded reply. */
  call(request: unknown): Promise<Envelope> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.waiting.set(id, (body) => resolve(JSON.parse(body) as Envelope));
      this.socket.write(WireTestClient.frame(id, 1, JSON.stringify(request)));
    });
  }

  ping(): Promise<void> {
    return new Promise((resolve) => {
      this.pongs.push(resolve);
      this.socket.write(WireTestClient.frame(0, 3));
    });
  }

  /** Resolves with the reply body to an id sent by `write`. */
  replyTo(id: number): Promise<string> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.data = Buffer.concat([this.data, chunk]);
    while (this.data.length >= 9) {
      const length = this.data.readUInt32BE(0);
      if (this.data.length < 9 + length) return;
      const id = this.data.readUInt32BE(4);
      const kind = this.data.readUInt8(8);
      const body = this.data.toString('utf8', 9, 9 + length);
      this.data = this.data.subarray(9 + length);
      this.kinds.push(kind);
      if (kind === 4) this.pongs.shift()?.();
      if (kind === 2) {
        const resolve = this.waiting.get(id);
        this.waiting.delete(id);
        resolve?.(body);
      }
    }
  }
}
