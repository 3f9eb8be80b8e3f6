import type { Run } from '../domain/types.js';
import type { LogLine, LogOptions } from '../driver/driver.js';
import type { FunctionLogOptions } from './dispatch-service.js';

/** How many lines of earlier runs `logs` shows at most: as many as the local backend keeps in memory. */
const MAX_HISTORY_LINES = 1000;

/**
 * The lines of the runs (newest first, as the store lists them) that started before `before` (ms), oldest
 * first: what a backend whose logs live in memory lost when the gateway restarted.
 */
export function linesOfEarlierRuns(runs: readonly Run[], before: number): LogLine[] {
  const lines: LogLine[] = [];
  const beforeSeconds = Math.floor(before / 1000);
  for (const run of [...runs].reverse()) {
    if (run.executedTime >= beforeSeconds) continue;
    const time = (run.finishedTime || run.executedTime) * 1000;
    const source = `run ${run.name}`;
    for (const line of run.logs.stdout ?? []) lines.push({ time, stream: 'stdout', line, source });
    for (const line of run.logs.stderr ?? []) lines.push({ time, stream: 'stderr', line, source });
  }
  return lines.slice(-MAX_HISTORY_LINES);
}

/** `history`, then the backend's own lines, within `tail` lines in all; then, with `follow`, new lines as they come. */
export async function* logsAfterHistory(
  history: readonly LogLine[],
  open: (options: LogOptions) => AsyncIterable<LogLine>,
  options: FunctionLogOptions,
): AsyncGenerator<LogLine> {
  const { tail, follow = false, signal } = options;
  const buffered: LogLine[] = [];
  for await (const line of open({ ...(tail === undefined ? {} : { tail }), ...(signal ? { signal } : {}) })) buffered.push(line);
  const room = tail === undefined ? history.length : Math.max(0, tail - buffered.length);
  if (room > 0) yield* history.slice(-room);
  yield* buffered;
  // The backend's buffer is read without waiting on I/O, so no line can slip in between the two reads.
  if (follow && !signal?.aborted) yield* open({ follow: true, tail: 0, ...(signal ? { signal } : {}) });
}
