import { DeleteEntityCommand } from '../../lib/delete-entity-command.js';

export default class DeleteFunction extends DeleteEntityCommand {
  static override kind = 'function' as const;
  static override summary = 'Delete a function, its replicas and its run history (endpoints using it must go first)';
  static override examples = ['<%= config.bin %> delete function NAME'];
}
