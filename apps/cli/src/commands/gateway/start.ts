import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { CliError } from '../../lib/errors.js';

export default class GatewayStart extends BaseCommand<typeof GatewayStart> {
  static override summary = 'Run the Dispatch gateway in the foreground (REST API, runs and endpoints)';
  static override description =
    'Settings not given as flags come from the DISPATCH_* variables the gateway reads (DISPATCH_PORT, ' +
    'DISPATCH_DATA_DIR, DISPATCH_BACKEND, …). The admin API always requires a token: --token, DISPATCH_TOKEN, or one ' +
    'generated into the data folder on first start, which the CLI of the same user finds by itself. Stop it with Ctrl-C.';
  static override examples = [
    '<%= config.bin %> gateway start',
    '<%= config.bin %> gateway start --port 9090 --data-dir /srv/dispatch',
    '<%= config.bin %> gateway start --host 0.0.0.0 --token "$(openssl rand -hex 32)"',
  ];
  static override flags = {
    backend: Flags.string({ description: 'the backend that runs functions: local, swarm or knative [default: local]' }),
    host: Flags.string({ description: 'the address to listen on [default: 127.0.0.1]' }),
    port: Flags.integer({ min: 0, max: 65535, description: 'the port to listen on [default: 8080]' }),
    'data-dir': Flags.string({
      description: 'where the store, the admin token and function files live [default: ~/.local/share/dispatch]',
    }),
    token: Flags.string({ description: 'a bearer token the admin API will require' }),
    'seed-defaults': Flags.boolean({
      allowNo: true,
      description: 'on a new data dir, create the images nodejs and python3 [default: true]',
    }),
    'log-level': Flags.string({ options: ['trace', 'debug', 'info', 'warn', 'error'], description: 'log level [default: info]' }),
  };

  async run(): Promise<void> {
    const gateway = await import('@dispatch/gateway');
    const { backend, host, port, token } = this.flags;
    let fromEnv;
    try {
      fromEnv = gateway.gatewayConfigFromEnv();
    } catch (error) {
      throw new CliError(400, (error as Error).message);
    }
    const options = { ...fromEnv };
    if (backend !== undefined) options.backend = backend;
    if (host !== undefined) options.host = host;
    if (port !== undefined) options.port = port;
    if (token !== undefined) options.token = token;
    if (this.flags['data-dir'] !== undefined) options.dataDir = this.flags['data-dir'];
    if (this.flags['log-level'] !== undefined) options.logLevel = this.flags['log-level'];
    if (this.flags['seed-defaults'] !== undefined) options.seedDefaults = this.flags['seed-defaults'];
    gateway.driverFactory(options.backend); // an unknown backend fails here, before the store is opened

    const running = await gateway.startGateway(options).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        throw new CliError(409, `${options.host}:${options.port} is in use: is a gateway running already? Choose another with --port`);
      }
      throw error;
    });
    process.stderr.write(`Dispatch gateway listening on ${running.url} (backend: ${running.backend}); stop it with Ctrl-C\n`);
    process.stderr.write(
      options.token
        ? 'The admin API requires the token you configured.\n'
        : `The admin API requires the token in ${join(options.dataDir, gateway.TOKEN_FILE_NAME)}; this user's CLI finds it by itself.\n`,
    );
    const code = await gateway.stopOnSignal(running, { logger: running.app.log });
    process.stderr.write(code === 0 ? 'Dispatch gateway stopped\n' : 'Dispatch gateway exited before it had stopped cleanly\n');
    // Exiting also kills any function process still running (the local driver's exit hook).
    if (code !== 0) process.exit(code);
  }
}
