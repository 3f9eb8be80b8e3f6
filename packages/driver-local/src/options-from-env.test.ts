import { describe, expect, it } from 'vitest';
import { localDriverOptionsFromEnv } from './options-from-env.js';

describe('localDriverOptionsFromEnv', () => {
  it('keeps pre-warmed processes unless DISPATCH_PREWARM is off, and refuses anything else', () => {
    expect(localDriverOptionsFromEnv({})).toEqual({ sandbox: 'auto', prewarm: true });
    expect(localDriverOptionsFromEnv({ DISPATCH_PREWARM: 'on', DISPATCH_SANDBOX: 'required' })).toEqual({
      sandbox: 'required',
      prewarm: true,
    });
    expect(localDriverOptionsFromEnv({ DISPATCH_PREWARM: ' OFF ' })).toMatchObject({ prewarm: false });
    expect(() => localDriverOptionsFromEnv({ DISPATCH_PREWARM: 'sometimes' })).toThrow(
      /DISPATCH_PREWARM must be on or off, not "sometimes"/,
    );
  });
});
