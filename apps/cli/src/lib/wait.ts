import type { EntityMeta } from '@dispatch/core';
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

/**
 * Polls an entity until it is READY. ERROR throws with the entity's reason (502); so does running out of time
 * (504). On a terminal a spinner shows the status as it changes; otherwise nothing is printed.
 */
export async function waitUntilReady<T extends EntityMeta>(api: EntityApi<T>, name: string, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const interactive = process.stdout.isTTY === true && process.stderr.isTTY === true;
  if (interactive) ux.action.start(`Waiting for ${options.label} to be READY`);
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
    if (interactive && status !== shown) ux.action.status = status;
    shown = status;
    if (Date.now() > deadline) {
      if (interactive) ux.action.stop('timed out');
      throw new CliError(504, `${options.label} is still ${status} after ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)}s`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}
