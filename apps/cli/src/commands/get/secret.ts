import { Flags } from '@oclif/core';
import type { Query } from '../../client/http.js';
import { GetEntitiesCommand } from '../../lib/get-entities-command.js';

export default class GetSecret extends GetEntitiesCommand {
  static override kind = 'secret' as const;
  static override hiddenAliases = ['get:secrets'];
  static override summary = 'Show secrets: all of them, or one by name';
  static override description = 'Columns: NAME | CONTENT. The values are <hidden> unless --reveal.';
  static override examples = ['<%= config.bin %> get secret', '<%= config.bin %> get secret NAME --reveal -o json'];
  static override flags = {
    ...GetEntitiesCommand.flags,
    reveal: Flags.boolean({ description: 'show the values instead of <hidden>' }),
  };

  protected override query(): Query | undefined {
    return (this.flags as { reveal?: boolean }).reveal ? { reveal: true } : undefined;
  }
}
