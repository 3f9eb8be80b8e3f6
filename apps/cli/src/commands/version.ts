import { BaseCommand } from '../base-command.js';
import { formatStructured } from '../lib/output.js';

export default class Version extends BaseCommand<typeof Version> {
  static override summary = "Print the client's version, and the server's version and backend";
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version -o json'];

  async run(): Promise<void> {
    const client = { version: this.config.version };
    const format = this.outputFormat;
    if (format === undefined) this.print(`Client: ${client.version}`);
    const server = await (await this.client()).version();
    if (format === undefined) this.print(`Server: ${server.version} (backend: ${server.backend})`);
    else this.print(await formatStructured({ client, server }, format));
  }
}
