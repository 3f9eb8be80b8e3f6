import { Args, Flags } from '@oclif/core';
import { CliError } from '../../lib/errors.js';
import { scheduleBody, scheduleFlags } from '../../lib/schedule-flags.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class UpdateSchedule extends WriteCommand<typeof UpdateSchedule> {
  static override summary = 'Update a schedule: its cron expression, time zone, input, function; enable or disable it';
  static override examples = [
    '<%= config.bin %> update schedule nightly --cron "0 3 * * *"',
    '<%= config.bin %> update schedule nightly --disable',
    '<%= config.bin %> update schedule nightly --enable',
  ];
  static override args = {
    name: Args.string({ description: 'the schedule name', required: true }),
  };
  static override flags = {
    ...scheduleFlags,
    function: Flags.string({ description: 'the function it runs' }),
    enable: Flags.boolean({
      exclusive: ['disable'],
      description: 'enable it (ticks from now on run; the ones missed while disabled do not)',
    }),
    disable: Flags.boolean({ exclusive: ['enable'], description: 'disable it: it keeps its settings and runs nothing' }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const body = scheduleBody(this.flags);
    if (this.flags.function !== undefined) body.function = this.flags.function;
    if (this.flags.enable) body.enabled = true;
    if (this.flags.disable) body.enabled = false;
    if (Object.keys(body).length === 0) throw new CliError(400, `nothing to update: give schedule "${name}" a flag (see --help)`);
    await this.reportWrite('Updated', 'schedule', await (await this.client()).schedules.update(name, body));
  }
}
