import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import type { FunctionLogLine } from '../client/gateway-client.js';
import { printLogStream, printRunLogs } from '../lib/function-logs.js';
import { GATEWAY_STOPPED_LINE } from '../lib/ndjson.js';

export default class Logs extends BaseCommand<typeof Logs> {
  static override summary = "Print a function's logs: what it wrote to stdout and stderr";
  static override description =
    "stdout lines go to stdout and stderr lines to stderr. On a gateway without a log stream, the logs are those of the function's recent runs.";
  static override examples = ['<%= config.bin %> logs hello', '<%= config.bin %> logs hello -f --tail 20'];
  static override args = {
    function: Args.string({ description: 'the function', required: true }),
  };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until interrupted' }),
    tail: Flags.integer({ min: 0, description: 'only the last N lines of what is there already' }),
  };

  async run(): Promise<void> {
    const { follow, tail } = this.flags;
    const name = this.args.function;
    const client = await this.client();
    const write = (line: FunctionLogLine) => (line.stream === 'stderr' ? process.stderr : process.stdout).write(`${line.line}\n`);
    const stream = await client.functionLogs(name, { follow, tail });
    if (stream !== undefined) {
      const end = await printLogStream(stream, write);
      // A followed stream ends only when the gateway goes away: an ordinary end, said on stderr.
      if (end === 'stopped') process.stderr.write(`${GATEWAY_STOPPED_LINE}\n`);
      if (end === 'lost') process.stderr.write('the connection to the gateway closed\n');
      return;
    }
    await client.functions.get(name);
    await printRunLogs(client, name, { follow, tail, write });
  }
}
