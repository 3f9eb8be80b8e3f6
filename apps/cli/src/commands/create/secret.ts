import { Args } from '@oclif/core';
import { secretValues } from '../../lib/secret-file.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class CreateSecret extends WriteCommand<typeof CreateSecret> {
  static override summary = 'Create a secret from a JSON file of string values';
  static override examples = ['<%= config.bin %> create secret place ./place.json   # {"place": "Palo Alto"}'];
  static override args = {
    name: Args.string({ description: 'the secret name', required: true }),
    file: Args.string({ description: 'a JSON object of string values', required: true }),
  };

  async run(): Promise<void> {
    const { name, file } = this.args;
    const created = await (await this.client()).secrets.create({ name, secrets: await secretValues(file) });
    await this.reportWrite('Created', 'secret', created);
  }
}
