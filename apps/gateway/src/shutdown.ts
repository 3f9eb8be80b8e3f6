import type { Logger } from 'pino';
import type { RunningGateway } from './start.js';

/** How long a stopping gateway may take before it exits anyway. */
export const DEFAULT_STOP_GRACE_MS = 3000;

export interface StopOnSignalOptions {
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Milliseconds to wait for a clean stop after the first signal; default {@link DEFAULT_STOP_GRACE_MS}. */
  graceMs?: number;
}

/**
 * Stops the gateway on the first SIGINT or SIGTERM and resolves with the exit code to use: 0 when it stopped
 * cleanly, 1 when it failed or took longer than the grace period (an operation that does not end, such as a
 * function still loading). A second signal resolves at once with 1. Open streams end with a `stopped` line,
 * and function processes are stopped by the driver, or killed when the process exits.
 */
export function stopOnSignal(gateway: RunningGateway, options: StopOnSignalOptions): Promise<number> {
  const { logger } = options;
  const graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS;
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting at once');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping the gateway');
      const timer = setTimeout(() => {
        logger.warn({ graceMs }, 'the gateway did not stop in time: exiting anyway');
        resolve(1);
      }, graceMs);
      timer.unref();
      gateway.close().then(
        () => {
          clearTimeout(timer);
          logger.info('the gateway stopped');
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(timer);
          logger.error({ err: error }, 'the gateway did not stop cleanly');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
