import { Args } from '@oclif/core';
import { secretValues } from '../../lib/secret-file.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class UpdateSecret extends WriteCommand<typeof UpdateSecret> {
  static override summary = 'Replace the values of a secret with those of a JSON file';
  static override examples = ['<%= config.bin %> update secret place ./place.json'];
  static override args = {
    name: Args.string({ description: 'the secret name', required: true }),
    file: Args.string({ description: 'a JSON object of string values', required: true }),
  };

  async run(): Promise<void> {
    const { name, file } = this.args;
    const updated = await (await this.client()).secrets.update(name, { secrets: await secretValues(file) });
    await this.reportWrite('Updated', 'secret', updated);
  }
}
