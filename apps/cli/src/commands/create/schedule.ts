import { Args, Flags } from '@oclif/core';
import { requiredCronFlag, scheduleBody, scheduleFlags } from '../../lib/schedule-flags.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class CreateSchedule extends WriteCommand<typeof CreateSchedule> {
  static override summary = 'Create a schedule that runs a function on a cron expression';
  static override description = 'Each tick runs the function once (asynchronously, through the run queue), even with several gateways.';
  static override examples = [
    '<%= config.bin %> create schedule nightly report --cron "0 2 * * *" --tz Europe/Berlin',
    `<%= config.bin %> create schedule heartbeat ping --cron "*/10 * * * * *" --input '{"target":"db"}'`,
  ];
  static override args = {
    name: Args.string({ description: 'the schedule name', required: true }),
    function: Args.string({ description: 'the function it runs', required: true }),
  };
  static override flags = {
    ...scheduleFlags,
    cron: requiredCronFlag,
    disable: Flags.boolean({ description: 'create it disabled (it runs nothing until enabled)' }),
  };

  async run(): Promise<void> {
    const { name, function: functionName } = this.args;
    const body: Record<string, unknown> = { name, function: functionName, ...scheduleBody(this.flags) };
    if (this.flags.disable) body.enabled = false;
    await this.reportWrite('Created', 'schedule', await (await this.client()).schedules.create(body));
  }
}
