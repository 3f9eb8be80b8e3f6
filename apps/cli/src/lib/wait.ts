import type { EntityMeta } from '@dispatch/core/driver';
import { ux } from '@oclif/core';
import type { EntityApi } from '../client/gateway-client.js';
import { CliError, GatewayStopped } from './errors.js';
import { readNdjson, type StreamEnd } from './ndjson.js';

export interface WaitOptions {
  /** How the entity is named in messages: `function "hello"`. */
  label: string;
  timeoutMs?: number;
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(entity: EntityMeta): string {
  return entity.reason ? `${entity.status}: ${entity.reason}` : entity.status;
}

/** What the gateway's events stream sends (see `GET /v1/<kind>/{name}/events`). */
interface EntityEvent {
  type: 'status' | 'progress' | 'deleted';
  status?: string;
  reason?: string;
  line?: string;
}

/**
 * A status that fits on the spinner's line (`<action>... <frame> <status>`), whatever the terminal's width:
 * a line longer than the terminal would wrap, and the spinner, which redraws one line, would leave copies of it.
 */
export function fitStatus(line: string, action: string, columns = process.stderr.columns ?? 80): string {
  const flat = line.replace(/\s+/g, ' ').trim();
  const width = Math.max(10, columns - `${action}... x `.length - 1);
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/**
 * Follows the gateway's events stream: on a terminal its build and deploy lines show in the spinner; in any
 * case its end tells whether the gateway stopped. The status itself is still read by polling, so a gateway
 * without the stream waits the same way. Answers undefined when there is no stream.
 */
async function followEvents<T extends EntityMeta>(
  api: EntityApi<T>,
  name: string,
  action: string | undefined,
  signal: AbortSignal,
): Promise<StreamEnd | undefined> {
  const stream = await api.events(name).catch(() => undefined);
  if (stream === undefined) return undefined;
  // The wait may end first (READY, a timeout): an open stream must not keep the CLI running.
  const close = () => (stream as { destroy?: () => void }).destroy?.();
  if (signal.aborted) {
    close();
    return undefined;
  }
  signal.addEventListener('abort', close, { once: true });
  return readNdjson(stream, (value) => {
    const event = value as EntityEvent;
    if (action !== undefined && event.type === 'progress' && event.line?.trim()) ux.action.status = fitStatus(event.line, action);
  });
}

/**
 * Polls an entity until it is READY. ERROR throws with the entity's reason (502); so does running out of time
 * (504). On a terminal a spinner shows the status, and the build or deploy lines as they come; otherwise nothing
 * is printed. When the gateway stops meanwhile, throws GatewayStopped (an ordinary end, exit 0).
 */
export async function waitUntilReady<T extends EntityMeta>(api: EntityApi<T>, name: string, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const interactive = process.stdout.isTTY === true && process.stderr.isTTY === true;
  const action = `Waiting for ${options.label} to be READY`;
  if (interactive) ux.action.start(action);
  const done = new AbortController();
  const events = followEvents(api, name, interactive ? action : undefined, done.signal).catch(() => undefined);
  const stopped = events.then((end) => (end === 'stopped' ? Promise.reject(new GatewayStopped()) : new Promise<never>(() => undefined)));
  const polled = pollUntilReady(api, name, options, deadline, interactive ? action : undefined, done.signal).catch(
    async (error: unknown) => {
      // The gateway went away between two polls: if its stream said it was stopping, that is the news.
      if (error instanceof CliError && error.code === 503 && (await Promise.race([events, sleep(2000)])) === 'stopped') {
        throw new GatewayStopped();
      }
      throw error;
    },
  );
  try {
    return await Promise.race([polled, stopped]);
  } finally {
    done.abort();
  }
}

async function pollUntilReady<T extends EntityMeta>(
  api: EntityApi<T>,
  name: string,
  options: WaitOptions,
  deadline: number,
  action: string | undefined,
  signal: AbortSignal,
): Promise<T> {
  let shown = '';
  while (!signal.aborted) {
    const entity = await api.get(name);
    if (entity.status === 'READY') {
      if (action !== undefined) ux.action.stop('READY');
      return entity;
    }
    if (entity.status === 'ERROR') {
      if (action !== undefined) ux.action.stop('ERROR');
      throw new CliError(502, `${options.label} is ERROR: ${entity.reason || 'no reason given'}`);
    }
    const status = describe(entity);
    if (action !== undefined && status !== shown) ux.action.status = fitStatus(status, action);
    shown = status;
    if (Date.now() > deadline) {
      if (action !== undefined) ux.action.stop('timed out');
      throw new CliError(504, `${options.label} is still ${status} after ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)}s`);
    }
    await sleep(options.intervalMs ?? 250);
  }
  // Only reached once the wait has ended otherwise (the gateway stopped): nobody reads this.
  throw new GatewayStopped();
}
