import { GetEntitiesCommand } from '../../lib/get-entities-command.js';

export default class GetEndpoint extends GetEntitiesCommand {
  static override kind = 'endpoint' as const;
  static override hiddenAliases = ['get:endpoints'];
  static override summary = 'Show endpoints: all of them, or one by name';
  static override description = 'Columns: NAME | FUNCTION | PROTOCOL | METHOD | DOMAIN | PATH | ENABLED.';
  static override examples = ['<%= config.bin %> get endpoint', '<%= config.bin %> get endpoint NAME -o json'];
}
