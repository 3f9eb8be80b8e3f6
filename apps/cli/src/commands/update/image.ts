import { Args, Flags } from '@oclif/core';
import { CliError } from '../../lib/errors.js';
import { imageDependencies } from '../../lib/image-dependencies.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class UpdateImage extends WriteCommand<typeof UpdateImage> {
  static override summary = 'Update an image: its base image or dependencies (it is rebuilt, and its functions redeployed)';
  static override examples = ['<%= config.bin %> update image node-deps --runtime-deps package.json --wait'];
  static override args = {
    name: Args.string({ description: 'the image name', required: true }),
  };
  static override flags = {
    'base-image': Flags.string({ description: 'a base image name, or an image URL' }),
    language: Flags.string({ description: 'nodejs or python3, when it cannot be told from an image URL' }),
    'runtime-deps': Flags.string({ description: 'package.json (nodejs) or requirements.txt (python3)' }),
    'allow-scripts': Flags.boolean({
      description: "run the packages' install scripts (npm lifecycle scripts, pip builds from source); off by default",
      allowNo: true,
    }),
    'system-deps': Flags.string({ description: 'YAML or JSON list of system packages: [{name, version}]' }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const body: Record<string, unknown> = await imageDependencies(this.flags);
    if (this.flags['base-image'] !== undefined) body.baseImage = this.flags['base-image'];
    if (this.flags.language !== undefined) body.language = this.flags.language;
    if (Object.keys(body).length === 0) throw new CliError(400, `nothing to update: give image "${name}" a flag (see --help)`);
    await this.reportWrite('Updated', 'image', await (await this.client()).images.update(name, body));
  }
}
