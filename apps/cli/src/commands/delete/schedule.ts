import { DeleteEntityCommand } from '../../lib/delete-entity-command.js';

export default class DeleteSchedule extends DeleteEntityCommand {
  static override kind = 'schedule' as const;
  static override summary = 'Delete a schedule (the runs it started stay in the history)';
  static override examples = ['<%= config.bin %> delete schedule NAME'];
}
