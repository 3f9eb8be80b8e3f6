import type { Connection } from '../lib/connection.js';
import { CliError } from '../lib/errors.js';

const TLS_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The most telling part of a failed request: an errno code (ECONNREFUSED) or else the innermost message. */
function networkCode(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    if (current instanceof Error && current.message) message = current.message;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return message;
}

/** Turns a failed connection into a message that says where the CLI looked and what to do about it. */
export function unreachable(connection: Connection, error: unknown): CliError {
  const code = networkCode(error);
  const where = `the Dispatch gateway at ${connection.url}`;
  if (TLS_ERRORS.has(code)) {
    return new CliError(
      503,
      `the certificate of ${where} is not trusted (${code}); pass --insecure, or set "insecure": true in the context, to accept it`,
      { cause: error },
    );
  }
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return new CliError(503, `cannot reach ${where} (${code}): does it speak ${connection.scheme}? Try --scheme http`, {
      cause: error,
    });
  }
  const local = connection.contextName === undefined ? ' (no context is configured, so the CLI uses the local default)' : '';
  // Starting a gateway only helps when the CLI looks for one on this machine.
  const advice = isLoopback(connection.host)
    ? 'Start one with "dispatch gateway start" (or "npm start" in a Dispatch checkout), or point the CLI at another one with --context, --host and --port'
    : 'Is the host right and the gateway running there? Check the context with "dispatch context list", or choose another with --context, --host and --port';
  return new CliError(503, `cannot reach ${where}${local} (${code}). ${advice}`, { cause: error });
}

/** Whether a host name or address is this machine's loopback. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}
