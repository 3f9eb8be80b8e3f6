import { DispatchError } from '@dispatch/core/driver';

/**
 * Errors a user can act on: a gateway's `{code, message}` answer, a wrong flag, a missing file. The base
 * command prints them as `[Code: NNN] message`; anything else is a bug and is reported differently.
 */
export class CliError extends Error {
  /** An HTTP status: the gateway's own, or the one that fits a local mistake (400, 404, 503). */
  readonly code: number;

  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'CliError';
  }
}

/** An error answered by the gateway with a `{code, message}` body. */
export class GatewayError extends CliError {
  /** The whole answered body (a failed run carries the run's fields too). */
  readonly body: unknown;

  constructor(code: number, message: string, body: unknown) {
    super(code, message);
    this.name = 'GatewayError';
    this.body = body;
  }
}

/** A CliError, or a DispatchError thrown by @dispatch/core (packing a source), which carries the same `code`. */
export function asUserError(error: unknown): { code: number; message: string } | undefined {
  if (error instanceof CliError || DispatchError.isInstance(error)) return error;
  return undefined;
}

/**
 * Not a failure: what a command was following (a wait for READY) ended because the gateway stopped. The base
 * command prints "the gateway stopped" and exits 0.
 */
export class GatewayStopped extends Error {
  constructor() {
    super('the gateway stopped');
    this.name = 'GatewayStopped';
  }
}
