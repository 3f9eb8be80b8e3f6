#!/usr/bin/env node
import { pino } from 'pino';
import { gatewayConfigFromEnv } from './config.js';
import { startGateway } from './start.js';

async function main(): Promise<void> {
  const config = gatewayConfigFromEnv();
  const logger = pino({ level: config.logLevel });
  const gateway = await startGateway({ ...config, logger });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping the gateway');
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'the gateway did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dispatch gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
