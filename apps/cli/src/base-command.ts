import { Command, Errors, Flags, ux, type Interfaces } from '@oclif/core';
import { GatewayClient } from './client/gateway-client.js';
import { resolveConnection, type Connection } from './lib/connection.js';
import { asUserError, GatewayStopped } from './lib/errors.js';
import { GATEWAY_STOPPED_LINE } from './lib/ndjson.js';
import { describeParseError } from './lib/parse-errors.js';
import { withSuggestion } from './lib/did-you-mean.js';
import type { OutputFormat } from './lib/output.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

const GLOBAL = 'GLOBAL';

/**
 * What every command shares: the connection flags (each also read from `DISPATCH_<FLAG>`), `-o json|yaml`,
 * a client for the chosen gateway, and one way of reporting errors: `[Code: NNN] message` for what the user
 * can act on, a short note and a debugging hint for bugs.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    config: Flags.string({
      env: 'DISPATCH_CONFIG',
      helpGroup: GLOBAL,
      description: 'config file with the contexts [default: ~/.dispatch/config.json]',
    }),
    context: Flags.string({ env: 'DISPATCH_CONTEXT', helpGroup: GLOBAL, description: 'context to use instead of the current one' }),
    host: Flags.string({ env: 'DISPATCH_HOST', helpGroup: GLOBAL, description: "gateway host (overrides the context's)" }),
    port: Flags.integer({ env: 'DISPATCH_PORT', helpGroup: GLOBAL, min: 1, max: 65535, description: 'gateway port' }),
    scheme: Flags.string({ env: 'DISPATCH_SCHEME', helpGroup: GLOBAL, options: ['http', 'https'], description: 'gateway scheme' }),
    insecure: Flags.boolean({ env: 'DISPATCH_INSECURE', helpGroup: GLOBAL, description: 'accept a self-signed certificate' }),
    token: Flags.string({ env: 'DISPATCH_TOKEN', helpGroup: GLOBAL, description: 'bearer token for the admin API' }),
    output: Flags.string({
      char: 'o',
      env: 'DISPATCH_OUTPUT',
      helpGroup: GLOBAL,
      options: ['json', 'yaml'],
      description: 'print json or yaml instead of a table',
    }),
  };

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;
  private clientPromise: Promise<GatewayClient> | undefined;

  public override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof BaseCommand;
    const { args, flags } = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      args: ctor.args,
      strict: ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  protected get outputFormat(): OutputFormat | undefined {
    return (this.flags as { output?: OutputFormat }).output;
  }

  protected connection(): Promise<Connection> {
    const { config, context, host, port, scheme, insecure, token } = this.flags as CommandFlags<typeof BaseCommand>;
    return resolveConnection({ config, context, host, port, scheme, insecure: insecure || undefined, token });
  }

  /** The client of the gateway the context and flags point at. */
  protected client(): Promise<GatewayClient> {
    this.clientPromise ??= this.connection().then((connection) => new GatewayClient(connection));
    return this.clientPromise;
  }

  /** Writes one block of text and a newline to stdout. */
  protected print(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    if (error instanceof GatewayStopped) {
      if (ux.action.running) ux.action.stop('stopped');
      process.stderr.write(`${GATEWAY_STOPPED_LINE}\n`);
      return undefined;
    }
    if (ux.action.running) ux.action.stop('failed');
    const user = asUserError(await withSuggestion(error, () => this.client()));
    if (user !== undefined) {
      process.stderr.write(`[Code: ${user.code}] ${user.message}\n`);
      if (process.env.DEBUG && error.cause !== undefined) process.stderr.write(`${String(error.cause)}\n`);
      process.exitCode = 1;
      return undefined;
    }
    if (error instanceof Errors.CLIError) {
      // oclif's own parsing errors (a missing argument, an unknown flag, a value out of its options): one line
      // per problem in Dispatch's words, then where to read about the command.
      const help = `${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')} --help`.replace(/\s+/g, ' ');
      for (const line of describeParseError(error)) process.stderr.write(`[Code: 400] ${line}\n`);
      process.stderr.write(`See "${help}".\n`);
      process.exitCode = 2;
      return undefined;
    }
    if (process.env.DEBUG) {
      process.stderr.write(`${error.stack ?? String(error)}\n`);
    } else {
      process.stderr.write(
        `dispatch: unexpected error: ${error.message || String(error)}\n` +
          'This is a bug in the Dispatch CLI. Rerun with DEBUG=* to see where it happened, and report it.\n',
      );
    }
    process.exitCode = 1;
    return undefined;
  }
}
