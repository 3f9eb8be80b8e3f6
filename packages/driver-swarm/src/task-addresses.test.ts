import { afterEach, describe, expect, it, vi } from 'vitest';
import { TaskAddresses } from './task-addresses.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A resolver playing Swarm's DNS: `listed` is what it answers, `lookups` how often it was asked. */
function dns(initial: string[]) {
  const state = { listed: initial, lookups: 0 };
  const resolve = async (): Promise<string[]> => {
    state.lookups++;
    if (state.listed.length === 0) throw Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
    return state.listed;
  };
  return { state, resolve };
}

describe('the shared addresses of a function', () => {
  it('are resolved again before a call when they are older than five seconds: the function may run elsewhere now', async () => {
    vi.useFakeTimers();
    const { state, resolve } = dns(['10.0.0.5']);
    const addresses = new TaskAddresses(resolve);
    expect(await addresses.get('svc')).toEqual(['10.0.0.5']);
    // Scaled to zero and started again on another address while nobody called.
    state.listed = ['10.0.0.9'];
    vi.advanceTimersByTime(6000);
    expect(await addresses.get('svc')).toEqual(['10.0.0.9']);
    expect(state.lookups).toBe(2);
  });

  it('keep the tasks the engine saw accepting connections for two seconds, while DNS does not list them yet', async () => {
    vi.useFakeTimers();
    const { resolve } = dns([]);
    const addresses = new TaskAddresses(resolve);
    addresses.seed('svc', ['10.0.0.7']);
    expect(await addresses.get('svc')).toEqual(['10.0.0.7']);
    expect(await addresses.refresh('svc')).toEqual(['10.0.0.7']);
    vi.advanceTimersByTime(2500);
    await expect(addresses.refresh('svc')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('tell which addresses a resolution no longer lists, so that their connections can be closed', async () => {
    const { state, resolve } = dns(['10.0.0.5', '10.0.0.6']);
    const removed: string[] = [];
    const addresses = new TaskAddresses(resolve, (gone) => removed.push(...gone));
    await addresses.refresh('svc');
    state.listed = ['10.0.0.6'];
    await addresses.refresh('svc');
    expect(removed).toEqual(['10.0.0.5']);
  });
});
