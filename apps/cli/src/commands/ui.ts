import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { canOpenBrowser, openBrowser } from '../lib/open-browser.js';

export default class Ui extends BaseCommand<typeof Ui> {
  static override summary = "Open the web console, signed in with the current context's gateway and token";
  static override description =
    'The token travels in the URL fragment, which the browser never sends to the gateway; the page keeps it in ' +
    "the tab's session storage and removes it from the address bar. When no browser can be opened, the URL is printed.";
  static override examples = ['<%= config.bin %> ui', '<%= config.bin %> ui --context prod', '<%= config.bin %> ui --print'];
  static override flags = {
    print: Flags.boolean({ description: 'print the URL instead of opening a browser' }),
  };

  async run(): Promise<void> {
    const connection = await this.connection();
    // Fails here, with the CLI's usual message, when the gateway is unreachable or refuses the token.
    await (await this.client()).version();
    const page = `${connection.url}/ui/`;
    const url = connection.token === undefined ? page : `${page}#token=${encodeURIComponent(connection.token)}`;
    if (!this.flags.print && canOpenBrowser() && (await openBrowser(url))) {
      this.print(`Opened the console at ${page} in your browser`);
      return;
    }
    const why = this.flags.print ? '' : 'No browser could be opened here. ';
    process.stderr.write(`${why}Open this URL in a browser (it carries the admin token: do not share it):\n`);
    this.print(url);
  }
}
