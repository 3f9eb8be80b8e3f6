import type { Run } from '@dispatch/core/driver';

/** What `exec` prints: the function's answer in the shape its server gives it, `{context: {logs, error?}, payload}`. */
export function envelopeOf(run: Pick<Run, 'logs' | 'error' | 'output'>): Record<string, unknown> {
  const context: Record<string, unknown> = { logs: run.logs ?? { stdout: null, stderr: null } };
  if (run.error !== undefined && run.error !== null) context.error = run.error;
  return { context, payload: run.output ?? null };
}

/** True when a failure's body is a run (the function failed) rather than a plain `{code, message}`. */
export function isRunBody(body: unknown): body is Run {
  return typeof body === 'object' && body !== null && 'functionName' in body && 'logs' in body;
}
