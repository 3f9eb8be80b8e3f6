import { InvalidInputError } from '../errors.js';

/** How much of a run Dispatch keeps: a function can neither exhaust the gateway's memory nor bloat the store. */
export interface RunLimits {
  /** The largest output (its JSON) a run keeps; a larger one fails the run with a FunctionError. */
  maxOutputBytes: number;
  /** The most log text (stdout and stderr together) a run keeps; the rest is cut, and a marker line says so. */
  maxLogBytes: number;
}

/** 6 MiB of output, as the request body limit; 1 MiB of logs. */
export const DEFAULT_RUN_LIMITS: Readonly<RunLimits> = { maxOutputBytes: 6 * 1024 * 1024, maxLogBytes: 1024 * 1024 };

/** The variables the gateway and the function servers read the limits from. */
export const RUN_LIMIT_ENV = { maxOutputBytes: 'DISPATCH_MAX_OUTPUT_BYTES', maxLogBytes: 'DISPATCH_MAX_LOG_BYTES' } as const;

/** Reads DISPATCH_MAX_OUTPUT_BYTES and DISPATCH_MAX_LOG_BYTES (whole numbers of bytes). */
export function runLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RunLimits {
  const read = (key: keyof RunLimits): number => {
    const name = RUN_LIMIT_ENV[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return DEFAULT_RUN_LIMITS[key];
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1024)
      throw new InvalidInputError(`${name} must be a whole number of bytes, at least 1024, not "${raw}"`);
    return value;
  };
  return { maxOutputBytes: read('maxOutputBytes'), maxLogBytes: read('maxLogBytes') };
}

/** The line that ends a run's logs when some were cut. */
export function logsCutMarker(cutBytes: number, maxLogBytes: number): string {
  return `[dispatch] ${cutBytes} bytes of output were cut: a run keeps at most ${maxLogBytes} bytes of logs (${RUN_LIMIT_ENV.maxLogBytes})`;
}

/**
 * Keeps the first `maxLogBytes` of a run's logs (stdout first, then stderr), cutting a line in the middle when
 * needed, and ends stderr with a marker line when anything was cut. Unchanged (same arrays) when within the limit.
 */
export function capRunLogs(logs: { stdout: string[]; stderr: string[] }, maxLogBytes: number): { stdout: string[]; stderr: string[] } {
  let left = maxLogBytes;
  let cut = 0;
  const keep = (lines: string[]): string[] => {
    const kept: string[] = [];
    for (const line of lines) {
      const text = String(line);
      const size = Buffer.byteLength(text);
      if (size <= left) {
        kept.push(text);
        left -= size;
      } else {
        if (left > 0) kept.push(Buffer.from(text).subarray(0, left).toString('utf8'));
        cut += size - left;
        left = 0;
      }
    }
    return kept;
  };
  const stdout = keep(logs.stdout);
  const stderr = keep(logs.stderr);
  if (cut === 0) return logs;
  stderr.push(logsCutMarker(cut, maxLogBytes));
  return { stdout, stderr };
}
