import { GetEntitiesCommand } from '../../lib/get-entities-command.js';

export default class GetImage extends GetEntitiesCommand {
  static override kind = 'image' as const;
  static override hiddenAliases = ['get:images'];
  static override summary = 'Show images: all of them, or one by name';
  static override description = 'Columns: NAME | DESTINATION | BASEIMAGE | STATUS | CREATED DATE.';
  static override examples = ['<%= config.bin %> get image', '<%= config.bin %> get image NAME -o json'];
}
