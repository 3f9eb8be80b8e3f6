import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type { LogLine } from '@dispatch/core/driver';
import type Dockerode from 'dockerode';

/**
 * The lines of the engine's multiplexed log stream (stdout and stderr frames), in the order they come. The frames
 * are split with the engine client's own `demuxStream`, and each stream is decoded as a whole, so a character
 * whose bytes straddle two frames (a long line is cut into several) arrives intact.
 */
export async function* demuxLogLines(docker: Dockerode, stream: NodeJS.ReadableStream): AsyncGenerator<LogLine> {
  const lines = new PassThrough({ objectMode: true });
  const outputs = { stdout: new PassThrough(), stderr: new PassThrough() };
  let open = 2;
  for (const kind of ['stdout', 'stderr'] as const) {
    createInterface({ input: outputs[kind], crlfDelay: Infinity })
      .on('line', (line) => lines.write(parseLine(kind, line)))
      .on('close', () => {
        if (--open === 0) lines.end();
      });
  }
  stream.on('end', () => {
    outputs.stdout.end();
    outputs.stderr.end();
  });
  stream.on('close', () => {
    outputs.stdout.end();
    outputs.stderr.end();
  });
  stream.on('error', (error: Error) => lines.destroy(error));
  docker.modem.demuxStream(stream, outputs.stdout, outputs.stderr);
  for await (const line of lines) yield line as LogLine;
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
