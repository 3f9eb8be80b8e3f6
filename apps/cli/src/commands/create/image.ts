import { Args, Flags } from '@oclif/core';
import { imageDependencies } from '../../lib/image-dependencies.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class CreateImage extends WriteCommand<typeof CreateImage> {
  static override summary = 'Create an image: a base image plus runtime and system dependencies';
  static override examples = [
    '<%= config.bin %> create image python3 dispatchframework/python3-base:0.0.13-knative',
    '<%= config.bin %> create image node-deps nodejs-base --runtime-deps package.json --wait',
  ];
  static override args = {
    name: Args.string({ description: 'the image name', required: true }),
    baseImage: Args.string({ description: 'a base image name, or an image URL', required: true }),
  };
  static override flags = {
    language: Flags.string({ description: 'nodejs or python3, when it cannot be told from an image URL' }),
    'runtime-deps': Flags.string({ description: 'package.json (nodejs) or requirements.txt (python3)' }),
    'allow-scripts': Flags.boolean({
      description: "run the packages' install scripts (npm lifecycle scripts, pip builds from source); off by default",
      allowNo: true,
    }),
    'system-deps': Flags.string({ description: 'YAML or JSON list of system packages: [{name, version}]' }),
  };

  async run(): Promise<void> {
    const { name, baseImage } = this.args;
    const body: Record<string, unknown> = { name, baseImage, ...(await imageDependencies(this.flags)) };
    if (this.flags.language !== undefined) body.language = this.flags.language;
    const created = await (await this.client()).images.create(body);
    await this.reportWrite('Created', 'image', created);
  }
}
