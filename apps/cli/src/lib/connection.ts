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
 * config file, or with no current context, the CLI talks to the local gateway at http://127.0.0.1:8080.
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
  const token = flags.token ?? (typeof entry.token === 'string' && entry.token !== '' ? entry.token : undefined);
  return {
    url: `${scheme}://${formatHost(host)}:${port}`,
    scheme,
    host,
    port,
    insecure: flags.insecure ?? entry.insecure === true,
    token,
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
