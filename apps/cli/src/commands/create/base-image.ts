import { Args, Flags } from '@oclif/core';
import { WriteCommand } from '../../lib/write-command.js';

export default class CreateBaseImage extends WriteCommand<typeof CreateBaseImage> {
  static override summary = 'Create a base image: an OS, a language runtime and the function server';
  static override examples = ['<%= config.bin %> create base-image python3-base dispatchframework/python3-base:0.0.13 --language python3'];
  static override args = {
    name: Args.string({ description: 'the base image name', required: true }),
    url: Args.string({ description: 'the image URL', required: true }),
  };
  static override flags = {
    language: Flags.string({ description: 'nodejs or python3', required: true }),
  };

  async run(): Promise<void> {
    const { name, url } = this.args;
    const body = { name, imageURL: url, language: this.flags.language };
    const created = await (await this.client()).baseImages.create(body);
    await this.reportWrite('Created', 'baseimage', created);
  }
}
