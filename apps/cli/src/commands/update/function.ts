import { Args } from '@oclif/core';
import { CliError } from '../../lib/errors.js';
import { functionBody, functionFlags } from '../../lib/function-flags.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class UpdateFunction extends WriteCommand<typeof UpdateFunction> {
  static override summary = 'Update a function: its source, image, handler, schemas, secrets or settings';
  static override examples = [
    '<%= config.bin %> update function hello ./examples/python3/hello.py --wait',
    '<%= config.bin %> update function hello --secret place --timeout 5000',
  ];
  static override args = {
    name: Args.string({ description: 'the function name', required: true }),
    path: Args.string({ description: 'a new file or folder for its source' }),
  };
  static override flags = functionFlags;

  async run(): Promise<void> {
    const { name, path } = this.args;
    const body = await functionBody(this.flags, path);
    if (Object.keys(body).length === 0) {
      throw new CliError(400, `nothing to update: give function "${name}" a new source path or a flag (see --help)`);
    }
    const functions = (await this.client()).functions;
    if (body.schema !== undefined) {
      // One schema file given: keep the other one as it is.
      const current = await functions.get(name);
      body.schema = { ...current.schema, ...(body.schema as object) };
    }
    await this.reportWrite('Updated', 'function', await functions.update(name, body));
  }
}
