import { GetEntitiesCommand } from '../../lib/get-entities-command.js';

export default class GetFunction extends GetEntitiesCommand {
  static override kind = 'function' as const;
  static override hiddenAliases = ['get:functions'];
  static override summary = 'Show functions: all of them, or one by name';
  static override description =
    'Columns: NAME | FUNCTIONIMAGE | STATUS | CREATED DATE; FUNCTIONIMAGE is left out when no function has one (the local backend builds none).';
  static override examples = ['<%= config.bin %> get function', '<%= config.bin %> get function NAME -o json'];
}
