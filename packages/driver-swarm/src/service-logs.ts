import type { LogLine, LogOptions } from '@dispatch/core/driver';
import { engineError } from '@dispatch/docker-builder';
import type Dockerode from 'dockerode';

/**
 * What a function's tasks printed, from the engine's service logs; following stops when `signal` aborts.
 * `ready` resolves once the service is known to exist (it rejects with NotFoundError otherwise).
 */
export function serviceLogs(docker: Dockerode, name: string, ready: () => Promise<unknown>, logOptions: LogOptions = {}): AsyncIterable<LogLine> {
  // Following from "now" means from this call, not from when the engine gets the request: a line printed in
  // between would otherwise be missed, so `tail: 0` becomes `since` this moment.
  const calledAt = Date.now();
  return (async function* () {
    await ready();
    const { follow = false, tail, signal } = logOptions;
    const fromNow = follow && tail === 0;
    let output: NodeJS.ReadableStream | Buffer;
    try {
      output = await (docker.getService(name).logs({
        stdout: true,
        stderr: true,
        follow,
        timestamps: true,
        details: true,
        tail: tail === undefined || fromNow ? 'all' : Math.max(0, tail),
        ...(fromNow ? { since: ((calledAt - 50) / 1000).toFixed(3) } : {}),
      } as unknown as Dockerode.ContainerLogsOptions) as unknown as Promise<NodeJS.ReadableStream | Buffer>);
    } catch (error) {
      throw engineError('swarm', docker, `reading the logs of "${name}"`, error);
    }
    if (Buffer.isBuffer(output)) {
      yield* demuxLogLines((async function* () {
        yield output;
      })());
      return;
    }
    const stream = output as NodeJS.ReadableStream & { destroy?: () => void };
    const stop = (): void => stream.destroy?.();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      if (signal?.aborted) return;
      yield* demuxLogLines(stream as AsyncIterable<Buffer>);
    } catch (error) {
      if (!signal?.aborted) throw engineError('swarm', docker, `reading the logs of "${name}"`, error);
    } finally {
      signal?.removeEventListener('abort', stop);
      stop();
    }
  })();
}

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
