import { BackendError, DispatchError, NotFoundError } from '@dispatch/core/driver';
import type Dockerode from 'dockerode';
import type { BuildFailure } from './build-output.js';

/** Errors of the engine's socket that mean nothing is listening there. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** A build that failed; `message` is the failing build line, `failure` the details. */
export class ImageBuildError extends BackendError {
  readonly failure: BuildFailure;

  constructor(message: string, failure: BuildFailure) {
    super(message);
    this.failure = failure;
  }
}

/** Where a dockerode client connects, for messages. */
export function engineAddress(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown };
  if (typeof modem.socketPath === 'string') return modem.socketPath;
  if (typeof modem.host === 'string') return `${modem.host}:${String(modem.port ?? '')}`;
  return 'the default socket';
}

/** The HTTP status of a dockerode error, when the engine answered. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message of a dockerode error (`json.message`), else the error's message. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  if (Buffer.isBuffer(json)) return json.toString('utf8').trim();
  return error instanceof Error ? error.message : String(error);
}

/** True when the error says that no engine answered at all. */
export function isEngineUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return engineStatus(error) === undefined && typeof code === 'string' && UNREACHABLE.has(code);
}

/**
 * Turns a dockerode error into a DispatchError: the engine unreachable and every other engine failure are
 * BackendErrors prefixed with `[prefix]`; DispatchErrors pass through.
 */
export function engineError(prefix: string, docker: Dockerode, doing: string, error: unknown): DispatchError {
  if (DispatchError.isInstance(error)) return error;
  if (isEngineUnreachable(error)) {
    const code = (error as { code: string }).code;
    return new BackendError(`[${prefix}] the Docker engine is unreachable at ${engineAddress(docker)} (${code}) while ${doing}`, {
      cause: error,
    });
  }
  const status = engineStatus(error);
  if (status === 404) return new NotFoundError(`[${prefix}] ${doing}: ${engineMessage(error)}`, { cause: error });
  return new BackendError(`[${prefix}] ${doing} failed: ${engineMessage(error)}`, { cause: error });
}
