import type { Run } from '@dispatch/core/driver';
import type { FunctionLogLine, GatewayClient } from '../client/gateway-client.js';
import { readNdjson, type StreamEnd } from './ndjson.js';

export interface LogOptions {
  follow: boolean;
  /** Only the last N lines of what is there already. */
  tail?: number;
  write(line: FunctionLogLine): void;
}

const RECENT_RUNS = 100;
const POLL_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints the NDJSON lines of the gateway's log stream as they arrive, and says how the stream ended. */
export function printLogStream(stream: AsyncIterable<Uint8Array>, write: (line: FunctionLogLine) => void): Promise<StreamEnd> {
  return readNdjson(stream, (value, text) => {
    write(typeof value === 'object' && value !== null ? (value as FunctionLogLine) : { stream: 'stdout', line: text });
  });
}

function linesOf(run: Run): FunctionLogLine[] {
  const source = run.name;
  const time = run.finishedTime;
  return [
    ...(run.logs?.stdout ?? []).map((line) => ({ time, stream: 'stdout', line, source })),
    ...(run.logs?.stderr ?? []).map((line) => ({ time, stream: 'stderr', line, source })),
  ];
}

const finished = (run: Run) => run.status === 'READY' || run.status === 'ERROR';

/**
 * The logs of a function from its recent runs (oldest first), for gateways without a log stream. With
 * `follow`, polls for runs that finish later.
 */
export async function printRunLogs(client: GatewayClient, functionName: string, options: LogOptions): Promise<void> {
  const seen = new Set<string>();
  const newlyFinished = async () => {
    const runs = (await client.listRuns({ functionName, limit: RECENT_RUNS })).filter((run) => finished(run) && !seen.has(run.name));
    for (const run of runs) seen.add(run.name);
    return runs.reverse().flatMap(linesOf);
  };
  const first = await newlyFinished();
  const shown = options.tail === undefined ? first : first.slice(first.length - Math.min(options.tail, first.length));
  for (const line of shown) options.write(line);
  while (options.follow) {
    await sleep(POLL_MS);
    for (const line of await newlyFinished()) options.write(line);
  }
}
