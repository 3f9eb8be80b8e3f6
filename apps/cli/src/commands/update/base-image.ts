import { Args, Flags } from '@oclif/core';
import { CliError } from '../../lib/errors.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class UpdateBaseImage extends WriteCommand<typeof UpdateBaseImage> {
  static override summary = 'Update a base image: its URL or language';
  static override examples = ['<%= config.bin %> update base-image python3-base --url dispatchframework/python3-base:0.0.14'];
  static override args = {
    name: Args.string({ description: 'the base image name', required: true }),
  };
  static override flags = {
    url: Flags.string({ description: 'the image URL' }),
    language: Flags.string({ description: 'nodejs or python3' }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const body: Record<string, unknown> = {};
    if (this.flags.url !== undefined) body.imageURL = this.flags.url;
    if (this.flags.language !== undefined) body.language = this.flags.language;
    if (Object.keys(body).length === 0) throw new CliError(400, `nothing to update: give base image "${name}" --url or --language`);
    await this.reportWrite('Updated', 'baseimage', await (await this.client()).baseImages.update(name, body));
  }
}
