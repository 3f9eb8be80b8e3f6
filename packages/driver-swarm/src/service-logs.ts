import type { LogLine } from '@dispatch/core/driver';

/**
 * Splits the engine's multiplexed log stream (8-byte frame headers: stream type, 3 zero bytes, big-endian
 * length) into lines. With `timestamps` and `details`, each line starts `<RFC 3339 time> <k=v,…> `.
 */
export async function* demuxLogLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<LogLine> {
  let buffer = Buffer.alloc(0);
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for await (const chunk of stream) {
    buffer = Buffer.concat([buffer, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    while (buffer.length >= 8) {
      const size = buffer.readUInt32BE(4);
      if (buffer.length < 8 + size) break;
      const kind = buffer[0] === 2 ? 'stderr' : 'stdout';
      pending[kind] += buffer.subarray(8, 8 + size).toString('utf8');
      buffer = buffer.subarray(8 + size);
      const lines = pending[kind].split('\n');
      pending[kind] = lines.pop() ?? '';
      for (const line of lines) yield parseLine(kind, line);
    }
  }
  for (const kind of ['stdout', 'stderr'] as const) if (pending[kind] !== '') yield parseLine(kind, pending[kind]);
}

/** One log line: the timestamp and the task details the engine put before it, then the text. */
export function parseLine(stream: 'stdout' | 'stderr', raw: string): LogLine {
  let rest = raw.replace(/\r$/, '');
  let time = Date.now();
  let source: string | undefined;
  const stamp = /^(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d)) ?/.exec(rest);
  if (stamp?.[1] !== undefined) {
    const parsed = Date.parse(stamp[1]);
    if (!Number.isNaN(parsed)) time = parsed;
    rest = rest.slice(stamp[0].length);
  }
  const details = /^((?:[\w.-]+=[^,\s]*,?)+) /.exec(rest);
  if (details?.[1] !== undefined && details[1].includes('com.docker.swarm')) {
    const task = /com\.docker\.swarm\.task\.id=([^,\s]+)/.exec(details[1]);
    source = task?.[1];
    rest = rest.slice(details[0].length);
  }
  return source === undefined ? { time, stream, line: rest } : { time, stream, line: rest, source };
}
