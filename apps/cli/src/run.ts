import { execute } from '@oclif/core';
import { hoistGlobalFlags } from './lib/argv.js';

/** Runs `dispatch` with the process's arguments; `bin/run.js` calls this. */
export async function run(binUrl: string): Promise<void> {
  await execute({ dir: binUrl, args: hoistGlobalFlags(process.argv.slice(2)) });
}
