import { Args, Flags } from '@oclif/core';
import { endpointBody, endpointFlags } from '../../lib/endpoint-flags.js';
import { CliError } from '../../lib/errors.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class UpdateEndpoint extends WriteCommand<typeof UpdateEndpoint> {
  static override summary = 'Update an endpoint: what it matches, the function it runs, CORS, auth, enabled';
  static override description = 'A repeatable flag replaces the whole list: -m GET -m POST sets both methods.';
  static override examples = [
    '<%= config.bin %> update endpoint get-hello -m GET -m POST --cors',
    '<%= config.bin %> update endpoint get-hello --disable',
  ];
  static override args = {
    name: Args.string({ description: 'the endpoint name', required: true }),
  };
  static override flags = {
    ...endpointFlags,
    function: Flags.string({ description: 'the function it runs' }),
    enable: Flags.boolean({ exclusive: ['disable'], description: 'enable it' }),
    disable: Flags.boolean({ exclusive: ['enable'], description: 'disable it (it matches no request)' }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const body = endpointBody(this.flags);
    if (this.flags.function !== undefined) body.function = this.flags.function;
    if (this.flags.enable) body.enabled = true;
    if (this.flags.disable) body.enabled = false;
    if (Object.keys(body).length === 0) throw new CliError(400, `nothing to update: give endpoint "${name}" a flag (see --help)`);
    await this.reportWrite('Updated', 'endpoint', await (await this.client()).endpoints.update(name, body));
  }
}
