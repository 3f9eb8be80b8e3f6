import { BackendError, UnavailableError } from '../errors.js';
import type { DispatchErrorOptions } from '../errors.js';

/** `host:port`, with brackets around an IPv6 literal so the port stays readable. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Nothing answered the call: the connection was refused, reset or closed before any reply byte arrived,
 * or the connect timed out (503). Funker has no error replies, so this is the signal that no replica is
 * listening; callers may retry another replica. A reset after the request was sent may still mean that the
 * handler ran, so only retry calls that are safe to repeat.
 */
export class FunkerConnectError extends UnavailableError {
  /** Always true: another replica, or the same one a moment later, may answer. */
  readonly retryable = true;
  /** The system error code (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `ENOTFOUND`, ...). */
  readonly errno: string;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, errno: string, options?: DispatchErrorOptions) {
    super(`funker: could not connect to ${formatAddress(host, port)} (${errno})`, options);
    this.errno = errno;
    this.host = host;
    this.port = port;
  }
}

/**
 * The function server closed the connection without sending anything (502). In funker this is how a handler
 * reports that it failed; it is told apart from the reply `null`, which a handler returning nothing sends.
 */
export class FunkerEmptyReplyError extends BackendError {
  constructor(host: string, port: number, options?: DispatchErrorOptions) {
    super(`funker: ${formatAddress(host, port)} closed the connection without a reply (the handler failed)`, options);
  }
}

/** How much of a bad reply an error message quotes, so that a runaway reply does not flood the logs. */
const PREVIEW_CHARS = 200;

/** The reply is not one JSON document (502). */
export class FunkerBadReplyError extends BackendError {
  /** The start of the reply, for diagnosis. */
  readonly preview: string;

  constructor(host: string, port: number, text: string, options?: DispatchErrorOptions) {
    const preview = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
    super(`funker: ${formatAddress(host, port)} sent a reply that is not JSON: ${JSON.stringify(preview)}`, options);
    this.preview = preview;
  }
}

/**
 * The connection failed after part of the reply arrived (502). The reply is incomplete and the handler has
 * run, so this is not retryable.
 */
export class FunkerIncompleteReplyError extends BackendError {
  readonly retryable = false;
  /** The system error code of the failure (`ECONNRESET`, ...). */
  readonly errno: string;

  constructor(host: string, port: number, errno: string, receivedBytes: number, options?: DispatchErrorOptions) {
    super(`funker: connection to ${formatAddress(host, port)} failed after ${receivedBytes} bytes of the reply (${errno})`, options);
    this.errno = errno;
  }
}

/** True when a funker call failed before reaching any handler, so that trying another replica makes sense. */
export function isRetryableFunkerError(error: unknown): error is FunkerConnectError {
  return error instanceof FunkerConnectError;
}

/** The reply grew past the caller's `maxReplyBytes` (502): the function sent more than a run keeps. */
export class FunkerReplyTooLargeError extends BackendError {
  readonly maxReplyBytes: number;

  constructor(host: string, port: number, maxReplyBytes: number, options?: DispatchErrorOptions) {
    super(`funker: reply from ${formatAddress(host, port)} is larger than ${maxReplyBytes} bytes`, options);
    this.maxReplyBytes = maxReplyBytes;
  }
}
