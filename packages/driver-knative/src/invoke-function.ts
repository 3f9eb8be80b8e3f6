import { UnavailableError, errorEnvelope, isRunEnvelope, timedOutEnvelope } from '@dispatch/core/driver';
import type { InvokeOptions, RunEnvelope, RunRequest } from '@dispatch/core/driver';
import type { FunctionEndpoint } from './function-endpoint.js';
import { HttpCallError, httpCall } from './http-call.js';
import type { HttpAgents } from './http-call.js';

/** What an invocation needs to know about the function. */
export interface InvokeTarget {
  name: string;
  endpoint: FunctionEndpoint;
  /** The function's own timeout in ms, for the message of a call cut by the deadline. */
  timeoutMs: number;
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;

/**
 * POSTs a run request to the function server and answers its envelope, whatever the HTTP status (400 and
 * 500 carry envelopes too). Connection failures and answers that say nothing is serving yet (404 from an
 * ingress that has no route, 503) are retried until the deadline; a call that the platform dropped after
 * it went out answers as a FunctionError; one cut by the deadline (or Knative's 504) as a timeout.
 */
export async function invokeOverHttp(
  agents: HttpAgents,
  target: InvokeTarget,
  request: RunRequest,
  options: InvokeOptions,
): Promise<RunEnvelope> {
  const body = JSON.stringify(request);
  const timeout = request.context?.timeout || target.timeoutMs;
  let wait = FIRST_RETRY_MS;
  let last = '';
  for (;;) {
    try {
      const answer = await httpCall(agents, target.endpoint, {
        method: 'POST',
        path: '/',
        body,
        deadline: options.deadline,
        signal: options.signal,
      });
      const envelope = parseEnvelope(answer.body);
      if (envelope !== undefined) return envelope;
      if (answer.status === 504) return timedOutEnvelope(timeout);
      if (answer.status === 502) {
        return errorEnvelope('FunctionError', `the function's container failed during the call (HTTP 502: ${snippet(answer.body)})`);
      }
      if (answer.status !== 404 && answer.status !== 503) {
        return errorEnvelope(
          'SystemError',
          `[knative] function "${target.name}" answered HTTP ${answer.status} without a run envelope: ${snippet(answer.body)}`,
        );
      }
      last = `HTTP ${answer.status} from ${target.endpoint.describe}${answer.body === '' ? '' : `: ${snippet(answer.body)}`}`;
    } catch (error) {
      if (!(error instanceof HttpCallError)) throw error;
      if (error.kind === 'aborted') throw error;
      if (error.kind === 'deadline') return timedOutEnvelope(timeout);
      if (error.kind === 'dropped') {
        return errorEnvelope(
          'FunctionError',
          `the function's container closed the connection during the call (${error.code ?? error.message})`,
        );
      }
      last = error.message;
    }
    if (Date.now() + wait >= options.deadline) {
      throw new UnavailableError(`[knative] function "${target.name}" is not reachable: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, MAX_RETRY_MS);
  }
}

function parseEnvelope(text: string): RunEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRunEnvelope(value)) return undefined;
  value.context.logs ??= { stdout: [], stderr: [] };
  if (value.context.error === null) delete value.context.error;
  return value;
}

function snippet(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
