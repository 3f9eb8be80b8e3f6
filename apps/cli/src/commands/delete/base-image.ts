import { DeleteEntityCommand } from '../../lib/delete-entity-command.js';

export default class DeleteBaseImage extends DeleteEntityCommand {
  static override kind = 'baseimage' as const;
  static override summary = 'Delete a base image (images built on it must go first)';
  static override examples = ['<%= config.bin %> delete base-image NAME'];
}
