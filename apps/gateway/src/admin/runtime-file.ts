import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runtimeFileName, type RuntimeFile } from '../local-gateways.js';

/**
 * Writes the gateway's runtime file (its address and token, for the CLI of the same user) and answers a function
 * that removes it. The folder is the user's own (0700) and the file is 0600, as it holds the token.
 */
export async function writeRuntimeFile(dir: string, file: RuntimeFile): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, runtimeFileName(file.port));
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return () => rm(path, { force: true });
}
