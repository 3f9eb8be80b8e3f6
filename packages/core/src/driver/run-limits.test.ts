import { describe, expect, it } from 'vitest';
import { capRunLogs, runLimitsFromEnv } from './run-limits.js';

describe('run limits', () => {
  it('reads the limits from the environment, with defaults, and refuses nonsense', () => {
    expect(runLimitsFromEnv({})).toEqual({ maxOutputBytes: 6 * 1024 * 1024, maxLogBytes: 1024 * 1024 });
    expect(runLimitsFromEnv({ DISPATCH_MAX_OUTPUT_BYTES: '2048', DISPATCH_MAX_LOG_BYTES: '4096' })).toEqual({
      maxOutputBytes: 2048,
      maxLogBytes: 4096,
    });
    expect(() => runLimitsFromEnv({ DISPATCH_MAX_LOG_BYTES: 'lots' })).toThrow(/DISPATCH_MAX_LOG_BYTES must be a whole number/);
  });

  it('keeps logs within the limit as they are', () => {
    const logs = { stdout: ['a', 'b'], stderr: ['c'] };
    expect(capRunLogs(logs, 10)).toBe(logs);
  });

  it('cuts stdout first, then stderr, and ends with a marker line saying how much was cut', () => {
    expect(capRunLogs({ stdout: ['12345', '67890'], stderr: ['abc'] }, 7)).toEqual({
      stdout: ['12345', '67'],
      stderr: ['[dispatch] 6 bytes of output were cut: a run keeps at most 7 bytes of logs (DISPATCH_MAX_LOG_BYTES)'],
    });
  });
});
