import { Args } from '@oclif/core';
import { ContextCommand } from '../../lib/context-command.js';

export default class ContextUse extends ContextCommand {
  static override summary = 'Make a context the current one';
  static override examples = ['<%= config.bin %> context use production'];
  static override args = {
    name: Args.string({ description: 'the context', required: true }),
  };

  async run(): Promise<void> {
    const config = await this.readConfig();
    this.requireContext(config, this.args.name);
    await this.writeConfig({ ...config, current: this.args.name });
    this.print(`Switched to context "${this.args.name}"`);
  }
}
