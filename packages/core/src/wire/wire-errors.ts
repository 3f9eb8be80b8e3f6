import { BackendError, UnavailableError } from '../errors.js';
import type { DispatchErrorOptions } from '../errors.js';

/**
 * No connection to the function server (refused, reset while connecting, timed out), or the connection was
 * already closed when the call was about to be written (503). The request was never written, so the function
 * provably never received it: another replica may take the call.
 */
export class WireConnectError extends UnavailableError {
  readonly retryable = true;
  /** The system error code (`ECONNREFUSED`, `ENOENT`, `ETIMEDOUT`, `ECONNRESET`, `ECLOSED`...). */
  readonly errno: string;

  constructor(target: string, errno: string, options?: DispatchErrorOptions) {
    super(`wire: could not reach ${target} (${errno})`, options);
    this.errno = errno;
  }
}

/**
 * The connection closed after the call was written and before its reply arrived (502). The function may have
 * received and run it, so the call is not retried.
 */
export class WireConnectionLostError extends BackendError {
  readonly retryable = false;
  readonly errno: string;

  constructor(target: string, errno: string, options?: DispatchErrorOptions) {
    super(`wire: the connection to ${target} closed before the reply (${errno})`, options);
    this.errno = errno;
  }
}

/** The reply is larger than the caller's `maxReplyBytes` (502); it was skipped, the connection stays usable. */
export class WireReplyTooLargeError extends BackendError {
  readonly maxReplyBytes: number;

  constructor(target: string, maxReplyBytes: number, options?: DispatchErrorOptions) {
    super(`wire: reply from ${target} is larger than ${maxReplyBytes} bytes`, options);
    this.maxReplyBytes = maxReplyBytes;
  }
}
