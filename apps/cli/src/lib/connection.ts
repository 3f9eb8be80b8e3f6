import { findLocalGateway, isLoopbackHost } from '@dispatch/gateway/local-gateways';
import { defaultConfigPath, readConfigFile, type ContextEntry } from './config-file.js';
import { CliError } from './errors.js';

/** Where the CLI talks to when no config file names a gateway: the one `dispatch gateway start` runs. */
export const LOCAL_GATEWAY = { host: '127.0.0.1', port: 8080, scheme: 'http' } as const;

/** The connection flags every command has; each also reads `DISPATCH_<FLAG>`. */
export interface ConnectionFlags {
  config?: string;
  context?: string;
  host?: string;
  port?: number;
  scheme?: string;
  insecure?: boolean;
  token?: string;
}

/** The gateway a command talks to, after the context and the flags that override it. */
export interface Connection {
  /** `scheme://host:port`, without a trailing slash. */
  url: string;
  scheme: string;
  host: string;
  port: number;
  /** Accept a self-signed certificate (https only). */
  insecure: boolean;
  token?: string;
  /** Where the token came from: a flag or `DISPATCH_TOKEN`, the context, or the runtime file of a local gateway. */
  tokenSource?: 'flag' | 'context' | 'local-gateway';
  /** The context used, if any (none means the built-in local default). */
  contextName?: string;
  configPath: string;
}

function unknownContext(name: string, path: string, known: string[]): CliError {
  const listed = known.length === 0 ? 'the file has no contexts' : `known: ${known.sort().join(', ')}`;
  return new CliError(404, `context "${name}" not found in ${path}; ${listed}`);
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Picks the context (`--context`, else the file's `current`) and applies the flags on top of it. Without a
 * config file, or with no current context, the CLI talks to the local gateway at http://127.0.0.1:8080. Without a
 * token for a loopback gateway, it uses the one a gateway of this user on that port left in its runtime file.
 */
export async function resolveConnection(flags: ConnectionFlags): Promise<Connection> {
  const configPath = flags.config ?? defaultConfigPath();
  const file = await readConfigFile(configPath, { mustExist: flags.config !== undefined });
  const contexts = file?.contexts ?? {};
  const contextName = flags.context ?? (file?.current === '' ? undefined : file?.current);

  let entry: ContextEntry = LOCAL_GATEWAY;
  if (contextName !== undefined) {
    const found = Object.hasOwn(contexts, contextName) ? contexts[contextName] : undefined;
    if (found === undefined) throw unknownContext(contextName, configPath, Object.keys(contexts));
    entry = found;
  }

  const scheme = (flags.scheme ?? entry.scheme ?? 'https').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    throw new CliError(400, `scheme must be http or https, not "${scheme}"`);
  }
  const host = flags.host ?? entry.host ?? 'localhost';
  const port = flags.port ?? toPort(entry.port, contextName) ?? (scheme === 'https' ? 443 : 80);
  const contextToken = typeof entry.token === 'string' && entry.token !== '' ? entry.token : undefined;
  let token = flags.token ?? contextToken;
  let tokenSource: Connection['tokenSource'] = flags.token !== undefined ? 'flag' : contextToken !== undefined ? 'context' : undefined;
  if (token === undefined && isLoopbackHost(host)) {
    // A gateway this user started on this machine left its token where only this user can read it.
    token = (await findLocalGateway(port))?.token;
    if (token !== undefined) tokenSource = 'local-gateway';
  }
  return {
    url: `${scheme}://${formatHost(host)}:${port}`,
    scheme,
    host,
    port,
    insecure: flags.insecure ?? entry.insecure === true,
    token,
    tokenSource,
    contextName,
    configPath,
  };
}

function toPort(value: unknown, contextName: string | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CliError(400, `context "${contextName ?? ''}": port must be an integer from 1 to 65535, not "${String(value)}"`);
  }
  return port;
}
