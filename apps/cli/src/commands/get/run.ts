import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { RUN_TABLE } from '../../lib/kinds.js';
import { formatRows } from '../../lib/output.js';

export default class GetRun extends BaseCommand<typeof GetRun> {
  static override hiddenAliases = ['get:runs'];
  static override summary = 'Show runs: the recent ones, or one by id';
  static override description =
    'Columns: ID | FUNCTION | STATUS | STARTED | FINISHED. Newest first. --failed lists the dead letters: async runs ' +
    'that failed after their last attempt (queue one again with "requeue run ID"); --schedule lists the runs a ' +
    'schedule started.';
  static override examples = [
    '<%= config.bin %> get run --function hello',
    '<%= config.bin %> get runs --failed',
    '<%= config.bin %> get runs --schedule nightly',
    '<%= config.bin %> get run 0b6a2c1e-5f2d-4c53-9d8f-2f1f4f0e8a11 -o json',
  ];
  static override args = {
    id: Args.string({ description: 'the run to show; the recent runs when omitted' }),
  };
  static override flags = {
    function: Flags.string({ description: 'only the runs of this function' }),
    limit: Flags.integer({ min: 1, description: 'at most this many runs (default 100, at most 1000)' }),
    offset: Flags.integer({ min: 0, description: 'skip this many of the newest runs first (pages through with --limit)' }),
    failed: Flags.boolean({ description: 'only the dead letters: async runs that failed for good' }),
    schedule: Flags.string({ description: 'only the runs this schedule started (also after it was deleted)' }),
  };

  async run(): Promise<void> {
    const client = await this.client();
    const { id } = this.args;
    const found =
      id === undefined
        ? await client.listRuns({
            functionName: this.flags.function,
            limit: this.flags.limit,
            offset: this.flags.offset,
            failed: this.flags.failed || undefined,
            schedule: this.flags.schedule,
          })
        : await client.getRun(id);
    this.print(await formatRows(found, this.outputFormat, RUN_TABLE));
  }
}
