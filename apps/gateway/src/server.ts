#!/usr/bin/env node
import { pino } from 'pino';
import { gatewayConfigFromEnv } from './config.js';
import { stopOnSignal } from './shutdown.js';
import { startGateway } from './start.js';

async function main(): Promise<void> {
  const config = gatewayConfigFromEnv();
  const logger = pino({ level: config.logLevel });
  const gateway = await startGateway({ ...config, logger });

  // Exiting also kills any function process still running (the local driver's exit hook).
  process.exit(await stopOnSignal(gateway, { logger }));
}

main().catch((error: unknown) => {
  process.stderr.write(`dispatch gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
