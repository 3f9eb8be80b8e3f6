import { Args } from '@oclif/core';
import { ContextCommand } from '../../lib/context-command.js';

export default class ContextRemove extends ContextCommand {
  static override hiddenAliases = ['context:rm'];
  static override summary = 'Remove a context from the config file';
  static override examples = ['<%= config.bin %> context remove staging'];
  static override args = {
    name: Args.string({ description: 'the context', required: true }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const config = await this.readConfig();
    this.requireContext(config, name);
    const { [name]: _removed, ...contexts } = config.contexts;
    const current = config.current === name ? undefined : config.current;
    await this.writeConfig({ ...config, current, contexts });
    this.print(`Removed context "${name}"${current === undefined && config.current === name ? '; no context is current now' : ''}`);
  }
}
