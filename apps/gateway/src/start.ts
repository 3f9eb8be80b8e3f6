import { resolve } from 'node:path';
import { InvalidInputError, createDispatch, openStore } from '@dispatch/core';
import type { Dispatch, Driver, Store } from '@dispatch/core';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { DEFAULT_BODY_LIMIT, buildApp } from './app.js';
import {
  DEFAULT_BACKEND,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_PORT,
  type GatewayConfig,
} from './config.js';
import { createDriver } from './drivers.js';
import { isLoopbackHost } from './loopback.js';

export interface StartGatewayOptions extends Partial<GatewayConfig> {
  /** The logger to use (the CLI passes its own); a pino logger at `logLevel` on stdout otherwise. */
  logger?: Logger;
}

/** A gateway that is listening. */
export interface RunningGateway {
  app: FastifyInstance;
  dispatch: Dispatch;
  /** `http://host:port`, with the port actually bound (useful with `port: 0`). */
  url: string;
  backend: string;
  /** Stops listening, then stops Dispatch (driver and store). */
  close(): Promise<void>;
}

function urlOf(app: FastifyInstance, host: string, port: number): string {
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shownHost}:${boundPort}`;
}

/**
 * Opens the store in the data directory, creates the backend's driver and Dispatch, and listens.
 * Refuses to listen beyond loopback without a token.
 */
export async function startGateway(options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const backend = options.backend ?? DEFAULT_BACKEND;
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const token = options.token === '' ? undefined : options.token;
  if (!isLoopbackHost(host) && token === undefined) {
    throw new InvalidInputError(
      `refusing to listen on ${host} without a token: anyone reaching it could run code. ` +
        'Set DISPATCH_TOKEN (clients send it as Authorization: Bearer <token>), or listen on 127.0.0.1.',
    );
  }
  const logger = options.logger ?? pino({ level: options.logLevel ?? DEFAULT_LOG_LEVEL });

  let store: Store | undefined;
  let driver: Driver | undefined;
  let dispatch: Dispatch | undefined;
  let app: FastifyInstance | undefined;
  try {
    store = await openStore(options.storeUrl ?? dataDir);
    driver = await createDriver(backend, { dataDir, logger });
    dispatch = await createDispatch({
      driver,
      store,
      logger,
      seedDefaults: options.seedDefaults ?? true,
      runHistory: options.runHistory,
      queue: options.queue,
      callbackSigningKey: options.callbackSigningKey,
    });
    app = await buildApp({
      dispatch,
      token,
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      loggerInstance: logger,
      listenHost: host,
      ...(options.triggers ? { triggers: options.triggers } : {}),
    });
    await app.listen({
      host,
      port,
      listenTextResolver: (address) => `Dispatch gateway listening on ${address} (backend: ${backend})`,
    });
  } catch (error) {
    await app?.close().catch(() => undefined);
    if (dispatch) {
      await dispatch.close().catch(() => undefined);
    } else {
      await driver?.dispose().catch(() => undefined);
      await store?.close().catch(() => undefined);
    }
    throw error;
  }

  const running = app;
  const started = dispatch;
  const url = urlOf(running, host, port);

  let closing: Promise<void> | undefined;
  return {
    app: running,
    dispatch: started,
    url,
    backend,
    close() {
      closing ??= (async () => {
        try {
          await running.close();
        } finally {
          await started.close();
        }
      })();
      return closing;
    },
  };
}
