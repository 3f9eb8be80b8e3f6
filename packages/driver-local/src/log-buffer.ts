import type { LogLine, LogOptions } from '@dispatch/core/driver';
import { ChangeSignal } from './change-signal.js';
import { MAX_LINE_BYTES } from './line-reader.js';

/** How many lines a function keeps for `logs`: enough to see what just happened, bounded in memory. */
export const DEFAULT_LOG_CAPACITY = 1000;

/**
 * The last lines a function printed (its processes' own output and its calls' logs), as a ring buffer
 * that followers can stream from. Pushing is O(1) and allocates nothing beyond the line itself, because
 * every call's log lines pass through here.
 */
export class LogBuffer {
  private readonly lines: (LogLine | undefined)[];
  /** How many lines were ever pushed; the ring position is `written % capacity`. */
  private written = 0;
  private closed = false;
  private readonly pushed = new ChangeSignal();

  constructor(readonly capacity: number = DEFAULT_LOG_CAPACITY) {
    this.lines = new Array<LogLine | undefined>(capacity);
  }

  push(stream: LogLine['stream'], line: string, source?: string): void {
    if (this.closed) return;
    // A run may keep a 1 MiB line; a thousand of them would hold a gigabyte here.
    if (line.length > MAX_LINE_BYTES)
      line = `${line.slice(0, MAX_LINE_BYTES)} [${line.length - MAX_LINE_BYTES} more characters of this line were cut]`;
    this.lines[this.written % this.capacity] = { time: Date.now(), stream, line, source };
    this.written++;
    this.pushed.notify();
  }

  /** The lines `source` printed from `since` (ms) on, still in the buffer: for a call that got no reply. */
  printedSince(source: string, since: number): { stdout: string[]; stderr: string[] } {
    const printed = { stdout: [] as string[], stderr: [] as string[] };
    for (let cursor = Math.max(0, this.written - this.capacity); cursor < this.written; cursor++) {
      const line = this.lines[cursor % this.capacity];
      if (line !== undefined && line.source === source && line.time >= since) printed[line.stream].push(line.line);
    }
    return printed;
  }

  /** Ends every follower; later pushes are dropped. */
  close(): void {
    this.closed = true;
    this.pushed.notify();
  }

  /** The buffered lines (the last `tail` of them), then, with `follow`, new lines until the signal aborts. */
  async *read(options: LogOptions = {}): AsyncGenerator<LogLine> {
    const { follow = false, tail, signal } = options;
    const oldest = Math.max(0, this.written - this.capacity);
    let cursor = tail === undefined ? oldest : Math.max(oldest, this.written - Math.max(0, tail));
    for (;;) {
      // A slow follower that fell a whole ring behind skips what was overwritten.
      cursor = Math.max(cursor, this.written - this.capacity);
      while (cursor < this.written) {
        if (signal?.aborted) return;
        const line = this.lines[cursor % this.capacity];
        cursor++;
        if (line) yield line;
      }
      if (!follow || this.closed || signal?.aborted) return;
      await this.pushed.wait(Infinity, signal);
    }
  }
}
