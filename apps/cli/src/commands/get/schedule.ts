import { GetEntitiesCommand } from '../../lib/get-entities-command.js';

export default class GetSchedule extends GetEntitiesCommand {
  static override kind = 'schedule' as const;
  static override hiddenAliases = ['get:schedules'];
  static override summary = 'Show schedules, with their next run times: all of them, or one by name';
  static override description =
    "Columns: NAME | FUNCTION | CRON | TIMEZONE | NEXT RUNS. Their runs: dispatch get run FUNCTION (-o json shows each run's schedule).";
  static override examples = ['<%= config.bin %> get schedule', '<%= config.bin %> get schedule NAME -o json'];
}
