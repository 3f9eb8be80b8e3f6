import { DeleteEntityCommand } from '../../lib/delete-entity-command.js';

export default class DeleteSecret extends DeleteEntityCommand {
  static override kind = 'secret' as const;
  static override summary = 'Delete a secret (functions using it must stop first)';
  static override examples = ['<%= config.bin %> delete secret NAME'];
}
