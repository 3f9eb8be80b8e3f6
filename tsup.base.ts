import type { Options } from 'tsup';

/** The build every package shares: ESM only, Node 20, types beside the code. */
export function packageBuild(entry: NonNullable<Options['entry']>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    ...overrides,
  };
}
