import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { RUN_TABLE } from '../../lib/kinds.js';
import { formatRows } from '../../lib/output.js';

export default class RequeueRun extends BaseCommand<typeof RequeueRun> {
  static override summary = 'Queue a dead-lettered async run again';
  static override description =
    'A dead letter is an async run that failed after its last attempt ("get runs --failed" lists them). ' +
    'Re-queued, it runs again with its attempts counted afresh.';
  static override examples = ['<%= config.bin %> requeue run 0b6a2c1e-5f2d-4c53-9d8f-2f1f4f0e8a11'];
  static override args = {
    id: Args.string({ description: 'the dead-lettered run', required: true }),
  };

  async run(): Promise<void> {
    const client = await this.client();
    this.print(await formatRows(await client.requeueRun(this.args.id), this.outputFormat, RUN_TABLE));
  }
}
