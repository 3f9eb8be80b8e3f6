import { Readable } from 'node:stream';
import type { LogLine, LogOptions } from '@dispatch/core/driver';
import { engineError } from '@dispatch/docker-builder';
import type Dockerode from 'dockerode';
import { demuxLogLines } from './log-lines.js';

/**
 * What a function's tasks printed, from the engine's service logs; following stops when `signal` aborts.
 * `ready` resolves once the service is known to exist (it rejects with NotFoundError otherwise).
 */
export function serviceLogs(
  docker: Dockerode,
  name: string,
  ready: () => Promise<unknown>,
  logOptions: LogOptions = {},
): AsyncIterable<LogLine> {
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
    const stream = (Buffer.isBuffer(output) ? Readable.from([output]) : output) as NodeJS.ReadableStream & { destroy?: () => void };
    const stop = (): void => stream.destroy?.();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      if (signal?.aborted) return;
      yield* demuxLogLines(docker, stream);
    } catch (error) {
      if (!signal?.aborted) throw engineError('swarm', docker, `reading the logs of "${name}"`, error);
    } finally {
      signal?.removeEventListener('abort', stop);
      stop();
    }
  })();
}
