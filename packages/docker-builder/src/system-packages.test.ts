import { describe, expect, it } from 'vitest';
import { systemPackagesArg } from './system-packages.js';

describe('systemPackagesArg', () => {
  it('joins names and pinned versions', () => {
    expect(
      systemPackagesArg([{ name: 'jq' }, { name: 'curl', version: '7.88.1-10+deb12u12' }, { name: 'libc6', version: '2:2.36~1' }]),
    ).toBe('jq curl=7.88.1-10+deb12u12 libc6=2:2.36~1');
    expect(systemPackagesArg([])).toBe('');
  });

  it.each(['jq; rm -rf /', 'JQ', '$(id)', 'a', '-y', 'jq curl'])('rejects the name %j', (name) => {
    expect(() => systemPackagesArg([{ name }])).toThrow(/is not a Debian package name/);
  });

  it('rejects a version with shell characters', () => {
    expect(() => systemPackagesArg([{ name: 'jq', version: '1 && id' }])).toThrow(/invalid version/);
  });
});
