/**
 * The line a function server writes to its status fd (or stderr): listening, or the handler failed to load. A
 * spare (DISPATCH_SPARE=1) first writes `spare` when it waits for its function, then one of the others.
 */
export type RuntimeStatus = RuntimeReady | RuntimeLoadError | RuntimeSpare;

export interface RuntimeSpare {
  status: 'spare';
  pid: number;
}

export interface RuntimeReady {
  status: 'ready';
  /** The port actually listened on (useful with port 0). */
  port: number;
  pid: number;
}

export interface RuntimeLoadError {
  status: 'error';
  /** The loader's message, e.g. `SyntaxError: …` or `ModuleNotFoundError: No module named 'x'`. */
  message: string;
}

/** Parses a status line; `undefined` when the line is not one (a server printing something else to stderr). */
export function parseRuntimeStatus(line: string): RuntimeStatus | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const status = value as Record<string, unknown>;
  if (status.status === 'ready' && typeof status.port === 'number' && typeof status.pid === 'number') {
    return { status: 'ready', port: status.port, pid: status.pid };
  }
  if (status.status === 'spare' && typeof status.pid === 'number') return { status: 'spare', pid: status.pid };
  if (status.status === 'error' && typeof status.message === 'string') {
    return { status: 'error', message: status.message };
  }
  return undefined;
}
