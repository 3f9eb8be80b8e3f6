import type { RunError, RunErrorType, RunLogs } from './domain/types.js';

/**
 * What a caller sends a function server, on every transport (funker TCP, HTTP):
 * one JSON document `{"context", "payload"}`.
 */
export interface RunRequest {
  context: RunRequestContext;
  payload: unknown;
}

export interface RunRequestContext {
  /** The flat merged map of the function's (and the run's) secrets. */
  secrets: Record<string, string>;
  /** Milliseconds the handler may take; 0 means no limit. */
  timeout: number;
  /** The run's uuid, for correlating logs. */
  runId?: string;
  functionName?: string;
}

/** What a function server answers, on every path, successful or not. */
export interface RunEnvelope {
  context: {
    logs: RunLogs;
    error?: RunError;
  };
  payload: unknown;
}

/** An envelope for a failure that happened before or around the handler (no logs of its own). */
export function errorEnvelope(type: RunErrorType, message: string, logs?: Partial<RunLogs>): RunEnvelope {
  return {
    context: {
      logs: { stdout: logs?.stdout ?? [], stderr: logs?.stderr ?? [] },
      error: { type, message },
    },
    payload: null,
  };
}

/** How the function servers begin the message of a handler that ran past its timeout (part of their protocol). */
const TIMED_OUT = 'function timed out after';

/**
 * The envelope of a call that ran past the function's timeout: what the function servers answer themselves, and
 * what a driver answers when the call got no reply by its deadline.
 */
export function timedOutEnvelope(timeoutMs: number): RunEnvelope {
  return errorEnvelope('FunctionError', `${TIMED_OUT} ${timeoutMs} ms`);
}

/** True when the function server answered that the handler ran past its timeout (it may still be running). */
export function isTimedOut(envelope: RunEnvelope): boolean {
  const error = envelope.context.error;
  return error?.type === 'FunctionError' && error.message.startsWith(TIMED_OUT);
}

/** Wraps a bare reply (from a plain funker function) into an envelope. */
export function wrapBareReply(payload: unknown): RunEnvelope {
  return { context: { logs: { stdout: [], stderr: [] } }, payload };
}

const ERROR_TYPES: ReadonlySet<string> = new Set<RunErrorType>(['InputError', 'FunctionError', 'SystemError']);

/**
 * Checks that a decoded reply is an envelope, so that a function server printing garbage is reported as
 * a SystemError rather than passed through.
 */
export function isRunEnvelope(value: unknown): value is RunEnvelope {
  if (typeof value !== 'object' || value === null || !('context' in value)) return false;
  const context = (value as { context: unknown }).context;
  if (typeof context !== 'object' || context === null) return false;
  const { logs, error } = context as { logs?: unknown; error?: unknown };
  if (logs !== undefined && (typeof logs !== 'object' || logs === null)) return false;
  if (error !== undefined && error !== null) {
    if (typeof error !== 'object') return false;
    const { type, message } = error as { type?: unknown; message?: unknown };
    if (typeof type !== 'string' || !ERROR_TYPES.has(type) || typeof message !== 'string') return false;
  }
  return true;
}
