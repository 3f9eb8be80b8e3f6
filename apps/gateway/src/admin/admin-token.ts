import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a generated admin token is kept, in the data folder. */
export const TOKEN_FILE_NAME = 'admin-token';

/** The admin token the gateway will require, and where it came from (for the start-up message). */
export interface AdminToken {
  token: string;
  /** `DISPATCH_TOKEN` (or a flag) gave it; or the file it was read from or generated into. */
  source: { kind: 'configured' } | { kind: 'file'; path: string; generated: boolean };
}

/**
 * The configured token if there is one; otherwise the one kept in the data folder, generated on first start
 * (32 random bytes, readable by the gateway's user only), as Jupyter does.
 */
export async function resolveAdminToken(dataDir: string, configured: string | undefined): Promise<AdminToken> {
  if (configured !== undefined && configured !== '') return { token: configured, source: { kind: 'configured' } };
  const path = join(dataDir, TOKEN_FILE_NAME);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
    return { token: (await readFile(path, 'utf8')).trim(), source: { kind: 'file', path, generated: true } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Kept from an earlier start; tightened in case someone copied it in with a looser mode.
  await chmod(path, 0o600);
  const token = (await readFile(path, 'utf8')).trim();
  if (token === '') throw new Error(`${path} is empty: delete it to have a new token generated, or set DISPATCH_TOKEN`);
  return { token, source: { kind: 'file', path, generated: false } };
}
