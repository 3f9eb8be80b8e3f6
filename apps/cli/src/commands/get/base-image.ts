import { GetEntitiesCommand } from '../../lib/get-entities-command.js';

export default class GetBaseImage extends GetEntitiesCommand {
  static override kind = 'baseimage' as const;
  static override hiddenAliases = ['get:base-images'];
  static override summary = 'Show base images: all of them, or one by name';
  static override description = 'Columns: NAME | LANGUAGE | URL | STATUS | CREATED DATE.';
  static override examples = ['<%= config.bin %> get base-image', '<%= config.bin %> get base-image NAME -o json'];
}
