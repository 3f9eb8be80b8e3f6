import { LOCAL_GATEWAY } from '../../lib/connection.js';
import { ContextCommand } from '../../lib/context-command.js';
import { formatStructured } from '../../lib/output.js';
import { renderTable } from '../../lib/table.js';

export default class ContextList extends ContextCommand {
  static override hiddenAliases = ['context:ls'];
  static override summary = 'List the contexts of the config file; * marks the current one';
  static override examples = ['<%= config.bin %> context list', '<%= config.bin %> context list --config ./config.json -o json'];

  async run(): Promise<void> {
    const config = await this.readConfig();
    const format = this.outputFormat;
    if (format !== undefined) {
      const contexts = Object.fromEntries(
        Object.entries(config.contexts).map(([name, entry]) => [name, entry.token ? { ...entry, token: '<hidden>' } : entry]),
      );
      this.print(await formatStructured({ current: config.current ?? '', contexts }, format));
      return;
    }
    const rows = Object.entries(config.contexts).map(([name, entry]) => [
      name === config.current ? '*' : '',
      name,
      `${entry.scheme ?? 'https'}://${entry.host ?? 'localhost'}${entry.port === undefined ? '' : `:${entry.port}`}`,
      entry.insecure ? 'true' : 'false',
      entry.token ? '<set>' : '',
    ]);
    this.print(renderTable(['CURRENT', 'NAME', 'URL', 'INSECURE', 'TOKEN'], rows));
    if (config.current === undefined || config.current === '') {
      const { scheme, host, port } = LOCAL_GATEWAY;
      process.stderr.write(`No current context in ${this.configPath}: commands use ${scheme}://${host}:${port}\n`);
    }
  }
}
