import { readdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { create } from 'tar';
import { InvalidInputError } from '../errors.js';

/** Version control data is never part of a function. */
const EXCLUDED = '.git';

/**
 * Packs a function's source as a tar.gz, the way Dispatch's CLI sends it: a file becomes an archive holding
 * that one file under its base name; a folder becomes an archive of its contents at the archive root
 * (everything, node_modules included, except `.git` folders). Symbolic links inside a folder are kept as
 * links. Throws InvalidInputError when the path does not exist, is empty, or is neither a file nor a folder.
 */
export async function packSource(path: string): Promise<Buffer> {
  const stats = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new InvalidInputError(`source "${path}" does not exist`, { cause: error });
    throw error;
  });
  if (stats.isFile()) {
    // follow: a source given as a symlink to a file is packed as that file's content.
    return collect(create({ gzip: true, portable: true, follow: true, cwd: dirname(path) }, [basename(path)]));
  }
  if (!stats.isDirectory()) throw new InvalidInputError(`source "${path}" is neither a file nor a folder`);

  const names = (await readdir(path)).filter((name) => name !== EXCLUDED).sort();
  if (names.length === 0) throw new InvalidInputError(`source folder "${path}" is empty`);
  const filter = (entryPath: string): boolean => !entryPath.split(/[\\/]/).includes(EXCLUDED);
  return collect(create({ gzip: true, portable: true, cwd: path, filter }, names));
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
