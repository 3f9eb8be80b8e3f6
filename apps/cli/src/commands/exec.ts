import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { envelopeOf, isRunBody } from '../lib/envelope.js';
import { GatewayError } from '../lib/errors.js';
import { formatStructured } from '../lib/output.js';
import { readPayload } from '../lib/payload.js';

export default class Exec extends BaseCommand<typeof Exec> {
  static override summary = 'Run a function with a JSON payload from stdin and print what it answers';
  static override description =
    'Prints the envelope {"context": {"logs": {"stdout", "stderr"}, "error"?}, "payload"}. Empty stdin means a ' +
    'null payload. With --async (or --no-wait) it prints the run id at once; see it later with "get run ID".';
  static override examples = [
    `<%= config.bin %> exec hello <<< '{"name": "user"}'`,
    `<%= config.bin %> exec hello --input '{"name": "user"}' --secret place`,
    '<%= config.bin %> exec hello --async',
    '<%= config.bin %> exec hello --async --max-attempts 3 --callback-url https://example.com/done --idempotency-key order-42',
  ];
  static override args = {
    function: Args.string({ description: 'the function to run', required: true }),
  };
  static override flags = {
    input: Flags.string({ description: 'the payload as JSON, instead of stdin' }),
    secret: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: "a secret added to the function's for this run (repeatable)",
    }),
    wait: Flags.boolean({ default: true, allowNo: true, description: 'wait for the answer (--no-wait: print the run id)' }),
    async: Flags.boolean({ description: 'do not wait: print the run id (same as --no-wait)' }),
    'max-attempts': Flags.integer({ min: 1, max: 20, description: 'async: attempts when the function fails [default: 1]' }),
    'callback-url': Flags.string({ description: 'async: POST the finished run to this URL (signed in X-Dispatch-Signature)' }),
    'idempotency-key': Flags.string({ description: 'async: the same key within 24 hours returns the same run instead of a new one' }),
  };

  async run(): Promise<void> {
    const { flags } = this;
    const blocking = flags.wait && !flags.async;
    const input = await readPayload(flags.input);
    const client = await this.client();
    const format = this.outputFormat ?? 'json';
    try {
      const run = await client.runFunction(this.args.function, {
        input,
        blocking,
        secrets: flags.secret,
        maxAttempts: flags['max-attempts'],
        callbackURL: flags['callback-url'],
        idempotencyKey: flags['idempotency-key'],
      });
      if (!blocking) {
        this.print(this.outputFormat === undefined ? run.name : await formatStructured(run, format));
        return;
      }
      this.print(await formatStructured(envelopeOf(run), format));
    } catch (error) {
      // A failed run still has logs and an error worth printing; the exit code and [Code: …] say it failed.
      if (error instanceof GatewayError && isRunBody(error.body)) this.print(await formatStructured(envelopeOf(error.body), format));
      throw error;
    }
  }
}
