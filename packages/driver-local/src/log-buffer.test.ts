import { describe, expect, it } from 'vitest';
import { LogBuffer } from './log-buffer.js';

async function all(iterable: AsyncIterable<{ line: string }>): Promise<string[]> {
  const lines: string[] = [];
  for await (const item of iterable) lines.push(item.line);
  return lines;
}

describe('LogBuffer', () => {
  it('keeps only the last lines of its capacity, oldest first', async () => {
    const buffer = new LogBuffer(3);
    for (const line of ['a', 'b', 'c', 'd', 'e']) buffer.push('stdout', line);
    expect(await all(buffer.read())).toEqual(['c', 'd', 'e']);
  });

  it('answers the last `tail` lines', async () => {
    const buffer = new LogBuffer(10);
    for (const line of ['a', 'b', 'c']) buffer.push('stderr', line, 'p1');
    expect(await all(buffer.read({ tail: 2 }))).toEqual(['b', 'c']);
    expect(await all(buffer.read({ tail: 0 }))).toEqual([]);
    expect(await all(buffer.read({ tail: 50 }))).toEqual(['a', 'b', 'c']);
  });

  it('streams new lines to followers until their signal aborts', async () => {
    const buffer = new LogBuffer(10);
    buffer.push('stdout', 'old');
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of buffer.read({ follow: true, tail: 0, signal: controller.signal })) {
        seen.push(line.line);
        if (seen.length === 2) controller.abort();
      }
    })();
    buffer.push('stdout', 'one');
    await new Promise((resolve) => setTimeout(resolve, 5));
    buffer.push('stdout', 'two');
    buffer.push('stdout', 'three');
    await following;
    expect(seen).toEqual(['one', 'two']);
  });

  it('ends followers when closed', async () => {
    const buffer = new LogBuffer(10);
    const following = all(buffer.read({ follow: true }));
    buffer.push('stdout', 'last');
    await new Promise((resolve) => setTimeout(resolve, 5));
    buffer.close();
    buffer.push('stdout', 'dropped');
    expect(await following).toEqual(['last']);
  });
});
