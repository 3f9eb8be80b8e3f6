/**
 * Dispatch's wire protocol between the gateway and its own function servers (nodejs, python3): one long-lived
 * connection carries many calls at once. The caller opens with WIRE_PREFACE, which a function server tells apart
 * from a funker request (JSON never starts with a NUL byte), so the same port serves both. Then frames both ways:
 *
 *   u32 body length (big-endian) | u32 call id | u8 kind | body
 *
 * A call's body is the request JSON `{"context", "payload"}`, its reply's body the envelope JSON, under the same
 * id; replies come in any order. Ping and pong have an empty body and id 0.
 */
export const WIRE_PREFACE = Buffer.from([0, 0x44, 0x57, 1]); // NUL "D" "W" version 1
export const WIRE_HEADER_BYTES = 9;

export const WireKind = { call: 1, reply: 2, ping: 3, pong: 4 } as const;
export type WireKind = (typeof WireKind)[keyof typeof WireKind];

/** The header and body of one frame, as one buffer. */
export function encodeFrame(id: number, kind: WireKind, body: string | Buffer = ''): Buffer {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const frame = Buffer.allocUnsafe(WIRE_HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.writeUInt32BE(id, 4);
  frame.writeUInt8(kind, 8);
  if (typeof body === 'string') frame.write(body, WIRE_HEADER_BYTES, 'utf8');
  else body.copy(frame, WIRE_HEADER_BYTES);
  return frame;
}

/** What a FrameReader hands on: a whole frame, or the header of one whose body is too large to keep. */
export interface FrameSink {
  frame(id: number, kind: number, body: Buffer): void;
  /** The body (`length` bytes) is skipped, not buffered. */
  tooLarge(id: number, kind: number, length: number): void;
}

/**
 * Cuts a byte stream into frames. A body larger than `maxBodyBytes` is reported and skipped as it streams by, so
 * that one oversized reply neither fills the memory nor breaks the other calls on the connection.
 */
export class FrameReader {
  private pending: Buffer | undefined;
  private skip = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxBodyBytes: number,
  ) {}

  push(chunk: Buffer): void {
    if (this.skip > 0) {
      if (chunk.length <= this.skip) {
        this.skip -= chunk.length;
        return;
      }
      chunk = chunk.subarray(this.skip);
      this.skip = 0;
    }
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let offset = 0;
    while (data.length - offset >= WIRE_HEADER_BYTES) {
      const length = data.readUInt32BE(offset);
      const id = data.readUInt32BE(offset + 4);
      const kind = data.readUInt8(offset + 8);
      const start = offset + WIRE_HEADER_BYTES;
      if (length > this.maxBodyBytes) {
        this.sink.tooLarge(id, kind, length);
        const available = data.length - start;
        if (available < length) {
          this.skip = length - available;
          return;
        }
        offset = start + length;
        continue;
      }
      if (data.length - start < length) break;
      this.sink.frame(id, kind, data.subarray(start, start + length));
      offset = start + length;
    }
    if (offset < data.length) {
      // Keep a copy: the rest of `data` may be a slice of a larger buffer that would otherwise stay alive.
      data = data.subarray(offset);
      this.pending = offset === 0 ? data : Buffer.from(data);
    }
  }
}
