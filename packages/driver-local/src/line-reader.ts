import type { Readable } from 'node:stream';

/** The longest line kept from a function process's own output; longer ones are cut, saying by how much. */
export const MAX_LINE_BYTES = 16 * 1024;

/**
 * Splits a process's output into lines without ever holding more than `maxLineBytes` of one line: a process that
 * prints 200 MB without a newline costs the gateway 16 KiB, not 200 MB (readline would buffer it all).
 */
export function readBoundedLines(stream: Readable, onLine: (line: string) => void, maxLineBytes = MAX_LINE_BYTES): void {
  let parts: Buffer[] = [];
  let held = 0;
  let cut = 0;
  const emit = (): void => {
    let line = Buffer.concat(parts, held).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (cut > 0) line += ` [${cut} more bytes of this line were cut]`;
    parts = [];
    held = 0;
    cut = 0;
    onLine(line);
  };
  const take = (chunk: Buffer): void => {
    const room = maxLineBytes - held;
    if (chunk.length <= room) {
      parts.push(chunk);
      held += chunk.length;
      return;
    }
    if (room > 0) {
      parts.push(chunk.subarray(0, room));
      held += room;
    }
    cut += chunk.length - Math.max(room, 0);
  };
  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline >= 0; newline = chunk.indexOf(10, start)) {
      take(chunk.subarray(start, newline));
      emit();
      start = newline + 1;
    }
    if (start < chunk.length) take(chunk.subarray(start));
  });
  stream.on('end', () => {
    if (held > 0 || cut > 0) emit();
  });
  stream.on('error', () => undefined);
}
