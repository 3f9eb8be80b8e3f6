import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** One gateway to talk to, as the seed's config file describes it. */
export interface ContextEntry {
  host?: string;
  port?: number;
  scheme?: string;
  insecure?: boolean;
  token?: string;
  organization?: string;
  project?: string;
  [field: string]: unknown;
}

/** `~/.dispatch/config.json`: `{"current", "contexts": {NAME: {host, port, scheme, insecure, token}}}`. */
export interface ConfigFile {
  current?: string;
  contexts: Record<string, ContextEntry>;
  [field: string]: unknown;
}

export function defaultConfigPath(): string {
  return join(homedir(), '.dispatch', 'config.json');
}

/**
 * Reads the config file. A missing file is an empty config, unless the user named it (`--config`,
 * `DISPATCH_CONFIG`) and so expects it to exist.
 */
export async function readConfigFile(path: string, options: { mustExist: boolean }): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (options.mustExist) throw new CliError(400, `config file "${path}" does not exist`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new CliError(400, `config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(400, `config file ${path} must hold a JSON object`);
  }
  const config = parsed as Partial<ConfigFile>;
  const contexts = config.contexts ?? {};
  if (typeof contexts !== 'object' || contexts === null || Array.isArray(contexts)) {
    throw new CliError(400, `config file ${path}: "contexts" must be an object of named contexts`);
  }
  return { ...config, contexts };
}

/** Writes the config file readable by its owner only, since contexts may hold tokens. */
export async function writeConfigFile(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 4)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}
