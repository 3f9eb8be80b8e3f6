import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBoundedLines } from './line-reader.js';

async function linesOf(chunks: (string | Buffer)[], maxLineBytes: number): Promise<string[]> {
  const stream = new PassThrough();
  const lines: string[] = [];
  readBoundedLines(stream, (line) => lines.push(line), maxLineBytes);
  const ended = new Promise((resolve) => stream.once('end', resolve));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  stream.resume();
  await ended;
  return lines;
}

describe('readBoundedLines', () => {
  it('splits lines across chunks, drops the CR of CRLF and keeps a last line without a newline', async () => {
    expect(await linesOf(['one\r\ntw', 'o\nthree'], 100)).toEqual(['one', 'two', 'three']);
  });

  it('cuts a line longer than the limit and says by how much, then reads on', async () => {
    expect(await linesOf(['abcdef', 'ghij\nnext\n'], 4)).toEqual(['abcd [6 more bytes of this line were cut]', 'next']);
  });

  it('keeps a multi-byte character whole when it spans two chunks', async () => {
    const euro = Buffer.from('€\n');
    expect(await linesOf([euro.subarray(0, 1), euro.subarray(1)], 100)).toEqual(['€']);
  });
});
