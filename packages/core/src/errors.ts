/**
 * Typed errors. Everything inside Dispatch throws one of these; only the edges (the gateway's error
 * handler, the CLI's base command) translate them, using `code`, which is the HTTP status to answer with.
 */

import type { EntityKind } from './domain/types.js';

const marker = Symbol.for('dispatch.error');

export interface DispatchErrorOptions {
  cause?: unknown;
}

/** The base class of every error Dispatch raises on purpose. */
export class DispatchError extends Error {
  /** The HTTP status that fits this error; the CLI prints it as `[Code: NNN]`. */
  readonly code: number;
  readonly [marker] = true;

  constructor(code: number, message: string, options: DispatchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any DispatchError, also across copies of this package. */
  static isInstance(value: unknown): value is DispatchError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** The request is malformed or names something invalid (400). */
export class InvalidInputError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(400, message, options);
  }
}

/** No or wrong credentials (401). */
export class UnauthorizedError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(401, message, options);
  }
}

/** A named entity does not exist (404). */
export class NotFoundError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(404, message, options);
  }
}

/** A named entity that does not exist (404); `entity` says which, for a client that acts on it without reading the message. */
export class EntityNotFoundError extends NotFoundError {
  readonly entity: { kind: EntityKind; name: string };

  constructor(entity: { kind: EntityKind; name: string }, message: string, options?: DispatchErrorOptions) {
    super(message, options);
    this.entity = { kind: entity.kind, name: entity.name };
  }
}

/** A duplicate name, a stale revision, or an entity still in use (409). */
export class ConflictError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(409, message, options);
  }
}

/** A body or payload larger than allowed (413). */
export class PayloadTooLargeError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(413, message, options);
  }
}

/** A run's input does not match the function's `schema.in` (422). */
export class SchemaValidationError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(422, message, options);
  }
}

/** Too much work waiting: the async run queue is full (429); try again later. */
export class TooManyRequestsError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(429, message, options);
  }
}

/** The backend (an engine, a cluster, a child process supervisor) failed (502). */
export class BackendError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(502, message, options);
  }
}

/** A backend name that no driver answers to (400); it names the backends there are, as vercel/ai's NoSuchProviderError. */
export class NoSuchBackendError extends InvalidInputError {
  /** The name asked for. */
  readonly backend: string;
  /** The backends that exist. */
  readonly knownBackends: readonly string[];

  constructor(backend: string, knownBackends: readonly string[], options?: DispatchErrorOptions) {
    super(`unknown backend "${backend}": the backends are ${knownBackends.join(', ')}`, options);
    this.backend = backend;
    this.knownBackends = knownBackends;
  }
}

/** Nothing can serve the call right now: not READY, no replica listening (503). */
export class UnavailableError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(503, message, options);
  }
}

/** A call did not finish before its deadline (504). */
export class DeadlineExceededError extends DispatchError {
  constructor(message: string, options?: DispatchErrorOptions) {
    super(504, message, options);
  }
}
