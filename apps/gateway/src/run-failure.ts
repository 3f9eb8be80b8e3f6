import type { Run, RunErrorType } from '@dispatch/core';
import type { ErrorBody } from './plugins/error-handler.js';

/** The HTTP status a failed run is answered with, by the kind of failure. */
export const RUN_ERROR_STATUS: Readonly<Record<RunErrorType, number>> = {
  InputError: 400,
  FunctionError: 502,
  SystemError: 500,
};

/** `{code, message}` for a run that failed, undefined for one that succeeded (or has not finished). */
export function runFailure(run: Run): ErrorBody | undefined {
  const error = run.error;
  if (error === undefined || error === null) return undefined;
  return { code: RUN_ERROR_STATUS[error.type] ?? 500, message: `${error.type}: ${error.message}` };
}
