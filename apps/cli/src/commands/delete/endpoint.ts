import { DeleteEntityCommand } from '../../lib/delete-entity-command.js';

export default class DeleteEndpoint extends DeleteEntityCommand {
  static override kind = 'endpoint' as const;
  static override summary = 'Delete an endpoint';
  static override examples = ['<%= config.bin %> delete endpoint NAME'];
}
