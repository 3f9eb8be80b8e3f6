import { execFile } from 'node:child_process';
import { mkdir, readdir, rmdir, stat, utimes } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO_DIR = resolve(CLI_DIR, '../..');
export const BIN = join(CLI_DIR, 'bin/run.js');

async function newestMtime(path: string): Promise<number> {
  const stats = await stat(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((entry) => newestMtime(join(path, entry))));
  return Math.max(stats.mtimeMs, ...times);
}

async function upToDate(): Promise<boolean> {
  try {
    const built = Math.min(
      (await stat(join(CLI_DIR, 'dist/commands.js'))).mtimeMs,
      (await stat(join(CLI_DIR, 'oclif.manifest.json'))).mtimeMs,
    );
    const sources = Math.max(await newestMtime(join(CLI_DIR, 'src')), (await stat(join(CLI_DIR, 'package.json'))).mtimeMs);
    return built >= sources;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The tests run the real binary, so the CLI (and the packages it loads at run time) must be built. Builds them
 * when the sources are newer than the build; test files running in parallel wait for one another's build.
 */
export async function ensureCliBuilt(): Promise<void> {
  if (await upToDate()) return;
  const lock = join(CLI_DIR, '.build-lock');
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      await sleep(200);
    }
  }
  try {
    if (await upToDate()) return;
    await promisify(execFile)('npx', ['nx', 'run', '@dispatch/cli:build'], { cwd: REPO_DIR, maxBuffer: 16 * 1024 * 1024 });
    // nx may restore an identical build from its cache without touching the files: mark them fresh.
    const now = new Date();
    for (const built of ['dist/commands.js', 'oclif.manifest.json']) await utimes(join(CLI_DIR, built), now, now);
  } finally {
    await rmdir(lock);
  }
}
