import { Args, Flags } from '@oclif/core';
import { functionBody, functionFlags } from '../../lib/function-flags.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class CreateFunction extends WriteCommand<typeof CreateFunction> {
  static override summary = 'Create a function from a file or a folder';
  static override description =
    'The file or folder is sent as a base64 tar.gz: a file becomes an archive holding that file, a folder an ' +
    'archive of its contents. Without --handler, a single file is its own handler and a nodejs folder uses its ' +
    'package.json main or index.js; any other folder needs --handler. A function that requires npm packages runs ' +
    'on an image built with them (--runtime-deps).';
  static override examples = [
    '<%= config.bin %> create function --image python3 hello ./examples/python3/hello.py',
    '<%= config.bin %> create image slugify-deps nodejs-base --runtime-deps ./examples/nodejs/slugify/package.json --wait',
    '<%= config.bin %> create function slugify ./examples/nodejs/slugify --image slugify-deps --handler slugify.js --wait',
  ];
  static override args = {
    name: Args.string({ description: 'the function name', required: true }),
    path: Args.string({ description: "the function's file or folder", required: true }),
  };
  static override flags = {
    ...functionFlags,
    image: Flags.string({ description: 'the image to build the function on (nodejs, python3, …)', required: true }),
  };

  async run(): Promise<void> {
    const { name, path } = this.args;
    const body = { name, ...(await functionBody(this.flags, path)) };
    const created = await (await this.client()).functions.create(body);
    await this.reportWrite('Created', 'function', created);
  }
}
