import { resolve } from 'node:path';
import { createDispatch, openStore } from '@dispatch/core';
import type { Dispatch, Driver, Store } from '@dispatch/core';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { DEFAULT_BODY_LIMIT, buildApp } from './app.js';
import { resolveAdminToken, type AdminToken } from './admin/admin-token.js';
import { writeRuntimeFile } from './admin/runtime-file.js';
import { DEFAULT_BACKEND, DEFAULT_HOST, DEFAULT_LOG_LEVEL, DEFAULT_PORT, defaultDataDir, type GatewayConfig } from './config.js';
import { createDriver } from './drivers.js';
import { runtimeDirs } from './local-gateways.js';

export interface StartGatewayOptions extends Partial<GatewayConfig> {
  /** The logger to use (the CLI passes its own); a pino logger at `logLevel` on stdout otherwise. */
  logger?: Logger;
  /**
   * Where to leave the runtime file that lets this user's CLI find the gateway's token (default: the first of
   * `runtimeDirs()`); `false` writes none.
   */
  runtimeDir?: string | false;
}

/** A gateway that is listening. */
export interface RunningGateway {
  app: FastifyInstance;
  dispatch: Dispatch;
  /** `http://host:port`, with the port actually bound (useful with `port: 0`). */
  url: string;
  backend: string;
  /** The token the admin API requires (`Authorization: Bearer <token>`). */
  token: string;
  /** Stops listening, then stops Dispatch (driver and store). */
  close(): Promise<void>;
}

function urlOf(app: FastifyInstance, host: string, port: number): string {
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shownHost}:${boundPort}`;
}

function describeToken({ source }: AdminToken): string {
  if (source.kind === 'configured') return 'admin token: the configured one (DISPATCH_TOKEN)';
  const how = source.generated ? 'generated into' : 'kept in';
  return `admin token: ${how} ${source.path} (clients send it as Authorization: Bearer <token>; DISPATCH_TOKEN overrides it)`;
}

/**
 * Opens the store in the data directory, creates the backend's driver and Dispatch, and listens. The admin API
 * always requires a token: the configured one, else one generated into the data directory on first start.
 */
export async function startGateway(options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const backend = options.backend ?? DEFAULT_BACKEND;
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  const runtimeDir = options.runtimeDir ?? runtimeDirs()[0];
  const logger = options.logger ?? pino({ level: options.logLevel ?? DEFAULT_LOG_LEVEL });

  let store: Store | undefined;
  let driver: Driver | undefined;
  let dispatch: Dispatch | undefined;
  let app: FastifyInstance | undefined;
  let adminToken: AdminToken;
  try {
    adminToken = await resolveAdminToken(dataDir, options.token);
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
      token: adminToken.token,
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      loggerInstance: logger,
      listenHost: host,
      allowedHosts: options.allowedHosts,
      allowedOrigins: options.allowedOrigins,
      ...(options.triggers ? { triggers: options.triggers } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
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
  const token = adminToken.token;
  logger.info(describeToken(adminToken));
  const boundPort = Number(new URL(url).port);
  const removeRuntimeFile = runtimeDir
    ? await writeRuntimeFile(runtimeDir, { url, host, port: boundPort, pid: process.pid, token, dataDir }).catch((error: unknown) => {
        logger.warn({ err: error }, `could not write the runtime file in ${runtimeDir}: the CLI will need the token`);
        return undefined;
      })
    : undefined;

  let closing: Promise<void> | undefined;
  return {
    app: running,
    dispatch: started,
    url,
    backend,
    token,
    close() {
      closing ??= (async () => {
        try {
          await removeRuntimeFile?.();
          await running.close();
        } finally {
          await started.close();
        }
      })();
      return closing;
    },
  };
}
