import { DeleteEntityCommand } from '../../lib/delete-entity-command.js';

export default class DeleteImage extends DeleteEntityCommand {
  static override kind = 'image' as const;
  static override summary = 'Delete an image (functions using it must go first)';
  static override examples = ['<%= config.bin %> delete image NAME'];
}
