import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';

/**
 * Reads a file the user named, with an error that names it. A missing file is a mistake on the command line
 * like any other, so it is a 400, as a missing source is (core's packSource): one status for every local file.
 */
export async function readUserFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(400, `${what} "${path}" does not exist`);
    if (code === 'EISDIR') throw new CliError(400, `${what} "${path}" is a folder, not a file`);
    throw new CliError(400, `cannot read ${what} "${path}": ${(error as Error).message}`);
  }
}

/** Reads a JSON (or YAML) file the user named. */
export async function readDataFile(path: string, what: string): Promise<unknown> {
  const text = await readUserFile(path, what);
  try {
    return JSON.parse(text);
  } catch (jsonError) {
    const { parse } = await import('yaml');
    try {
      return parse(text);
    } catch {
      throw new CliError(400, `${what} "${path}" is not valid JSON: ${(jsonError as Error).message}`);
    }
  }
}

/** The base64 tar.gz of a function's file or folder, packed as Dispatch's core packs it. */
export async function packSourceBase64(path: string): Promise<string> {
  const { packSource } = await import('@dispatch/core/source');
  return (await packSource(path)).toString('base64');
}
