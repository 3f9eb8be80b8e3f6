import type { EntityMeta } from '@dispatch/core/driver';
import { ux } from '@oclif/core';
import type { EntityApi } from '../client/gateway-client.js';
import { CliError } from './errors.js';

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
 * Shows the build and deploy lines of the gateway's events stream in the spinner as they come. Only for the
 * eyes: the status itself is still read by polling, so a gateway without the stream waits the same way.
 */
async function showProgress<T extends EntityMeta>(api: EntityApi<T>, name: string, action: string, signal: AbortSignal): Promise<void> {
  const stream = await api.events(name).catch(() => undefined);
  if (stream === undefined) return;
  // The wait may end first (a timeout): an open stream must not keep the CLI running.
  const close = () => (stream as { destroy?: () => void }).destroy?.();
  if (signal.aborted) return close();
  signal.addEventListener('abort', close, { once: true });
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const event = JSON.parse(line) as EntityEvent;
        if (event.type === 'progress' && event.line?.trim()) ux.action.status = fitStatus(event.line, action);
      } catch {
        // Not an event: nothing to show.
      }
    }
  }
}

/**
 * Polls an entity until it is READY. ERROR throws with the entity's reason (502); so does running out of time
 * (504). On a terminal a spinner shows the status, and the build or deploy lines as they come; otherwise nothing
 * is printed.
 */
export async function waitUntilReady<T extends EntityMeta>(api: EntityApi<T>, name: string, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const interactive = process.stdout.isTTY === true && process.stderr.isTTY === true;
  const progress = new AbortController();
  if (interactive) {
    const action = `Waiting for ${options.label} to be READY`;
    ux.action.start(action);
    void showProgress(api, name, action, progress.signal).catch(() => undefined);
  }
  try {
    return await pollUntilReady(api, name, options, deadline, interactive);
  } finally {
    progress.abort();
  }
}

async function pollUntilReady<T extends EntityMeta>(
  api: EntityApi<T>,
  name: string,
  options: WaitOptions,
  deadline: number,
  interactive: boolean,
): Promise<T> {
  let shown = '';
  for (;;) {
    const entity = await api.get(name);
    if (entity.status === 'READY') {
      if (interactive) ux.action.stop('READY');
      return entity;
    }
    if (entity.status === 'ERROR') {
      if (interactive) ux.action.stop('ERROR');
      throw new CliError(502, `${options.label} is ERROR: ${entity.reason || 'no reason given'}`);
    }
    const status = describe(entity);
    if (interactive && status !== shown) ux.action.status = fitStatus(status, `Waiting for ${options.label} to be READY`);
    shown = status;
    if (Date.now() > deadline) {
      if (interactive) ux.action.stop('timed out');
      throw new CliError(504, `${options.label} is still ${status} after ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)}s`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}
