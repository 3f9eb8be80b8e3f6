import { Args, Flags } from '@oclif/core';
import type { ContextEntry } from '../../lib/config-file.js';
import { ContextCommand } from '../../lib/context-command.js';
import { CliError } from '../../lib/errors.js';

export default class ContextAdd extends ContextCommand {
  static override summary = 'Add a context: a gateway to talk to, with its credentials';
  static override description = 'The first context added becomes the current one; --use makes any new one current.';
  static override examples = [
    '<%= config.bin %> context add local --host 127.0.0.1 --port 8080 --scheme http',
    '<%= config.bin %> context add prod --host dispatch.example.com --port 443 --scheme https --token $TOKEN --use',
  ];
  static override args = {
    name: Args.string({ description: 'the context name', required: true }),
  };
  static override flags = {
    host: Flags.string({ description: 'the gateway host', required: true }),
    port: Flags.integer({ min: 1, max: 65535, description: 'the gateway port [default: 443 for https, 80 for http]' }),
    scheme: Flags.string({ options: ['http', 'https'], default: 'https', description: 'http or https' }),
    insecure: Flags.boolean({ description: 'accept a self-signed certificate' }),
    token: Flags.string({ description: 'bearer token for the admin API' }),
    organization: Flags.string({ description: 'organization (kept for compatibility)' }),
    project: Flags.string({ description: 'project (kept for compatibility)' }),
    use: Flags.boolean({ description: 'make it the current context' }),
    force: Flags.boolean({ description: 'replace a context of the same name' }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const { host, port, scheme, insecure, token, organization, project, use, force } = this.flags;
    const config = await this.readConfig();
    if (Object.hasOwn(config.contexts, name) && !force) {
      throw new CliError(409, `context "${name}" already exists in ${this.configPath}; pass --force to replace it`);
    }
    const entry: ContextEntry = { host, port: port ?? (scheme === 'https' ? 443 : 80), scheme, insecure: insecure === true };
    if (token !== undefined) entry.token = token;
    if (organization !== undefined) entry.organization = organization;
    if (project !== undefined) entry.project = project;
    const current = use || !config.current ? name : config.current;
    await this.writeConfig({ ...config, current, contexts: { ...config.contexts, [name]: entry } });
    this.print(`Added context "${name}" (${scheme}://${host}:${entry.port})${current === name ? ', now current' : ''}`);
  }
}
