import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { Parser, Unpack } from 'tar';
import type { ReadEntry } from 'tar';
import { DispatchError, InvalidInputError } from '../errors.js';

/** Limits for `unpackSource`, against archives that expand to fill the disk. */
export interface UnpackSourceOptions {
  /** Largest total size of the extracted files, in bytes; default 1 GiB. */
  maxBytes?: number;
  /** Most entries (files, folders, links) accepted; default 100000, enough for a node_modules tree. */
  maxEntries?: number;
}

const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 100_000;
const NOT_AN_ARCHIVE = 'source is not a base64 tar.gz archive';
const ALLOWED_TYPES: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/**
 * Extracts a source archive into `destDir` (created if needed) and resolves with the paths of the files it
 * holds, relative to `destDir`, with `/` separators, in archive order; folders are not listed.
 *
 * The whole archive is checked before anything is written, so a rejected archive leaves nothing behind:
 * absolute paths, `..` segments, links to absolute paths or out of the archive, entries placed through a
 * link, devices and FIFOs, and archives over the limits are refused with an InvalidInputError naming the
 * entry. Anything that is not a (gzipped) tar is refused the same way.
 */
export async function unpackSource(archive: Buffer, destDir: string, options: UnpackSourceOptions = {}): Promise<string[]> {
  const files = await inspectSource(archive, options);
  await mkdir(destDir, { recursive: true });
  await extract(archive, destDir);
  return files;
}

/**
 * Checks a source archive exactly as `unpackSource` does, without writing anything, and resolves with the
 * files it holds (relative paths, `/` separators, archive order). Useful to pick a default handler.
 */
export function inspectSource(archive: Buffer, options: UnpackSourceOptions = {}): Promise<string[]> {
  if (archive.length === 0) return Promise.reject(new InvalidInputError(`${NOT_AN_ARCHIVE} (it is empty)`));
  return checkArchive(archive, options);
}

/** What the check keeps of an entry until the whole archive has been seen. */
interface CheckedEntry {
  raw: string;
  path: string;
  type: string;
  linkpath?: string;
}

/** Reads the archive without writing anything and returns the files it would extract. */
function checkArchive(archive: Buffer, options: UnpackSourceOptions): Promise<string[]> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const checked: CheckedEntry[] = [];
  let bytes = 0;

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(DispatchError.isInstance(error) ? error : new InvalidInputError(`${NOT_AN_ARCHIVE} (${describe(error)})`, { cause: error }));
    };

    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        entry.resume();
        if (settled) return;
        try {
          bytes += entry.size;
          if (checked.length >= maxEntries) {
            throw new InvalidInputError(`source archive has more than ${maxEntries} entries`);
          }
          if (bytes > maxBytes) throw new InvalidInputError(`source archive expands to more than ${maxBytes} bytes`);
          const path = checkPath(entry);
          if (path !== undefined) checked.push({ raw: entry.path, path, type: entry.type, linkpath: entry.linkpath });
        } catch (error) {
          fail(error);
          parser.abort(error as Error);
        }
      },
    });
    parser.on('error', fail);
    // An aborted parser (a corrupt gzip stream) emits 'error' but never 'close'.
    parser.on('abort', fail);
    parser.on('close', () => {
      if (settled) return;
      try {
        const files = checkLinks(checked);
        settled = true;
        resolve(files);
      } catch (error) {
        fail(error);
      }
    });
    parser.end(archive);
  });
}

/** Checks an entry's type and path and returns the path normalized (undefined for the archive root itself). */
function checkPath(entry: ReadEntry): string | undefined {
  const raw = entry.path;
  if (!ALLOWED_TYPES.has(entry.type)) throw rejected(raw, `is a ${entry.type}, which a function source cannot hold`);
  if (isAbsolute(raw)) throw rejected(raw, 'has an absolute path');
  if (raw.split(/[\\/]/).includes('..')) throw rejected(raw, 'has a path with ".." in it');
  const path = posix
    .normalize(raw)
    .replace(/\/+$/, '')
    .replace(/^(\.\/)+/, '');
  return path === '' || path === '.' ? undefined : path;
}

/**
 * Checks the links once every entry is known, since a link may come after the entries that use it, and
 * returns the files to list. Lexical checks alone are not enough with links: `x -> .` then `y -> x/..` stays
 * inside on paper but leaves the folder on disk. So no entry may be placed through a symbolic link, and no
 * link target may pass through one.
 */
function checkLinks(entries: CheckedEntry[]): string[] {
  const links = new Set(entries.filter((e) => e.type === 'SymbolicLink').map((e) => e.path));
  const files = new Set<string>();
  for (const entry of entries) {
    const parts = entry.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (links.has(parent)) throw rejected(entry.raw, `is placed through the symbolic link "${parent}"`);
    }
    if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
      const target = entry.linkpath ?? '';
      if (target === '') throw rejected(entry.raw, 'is a link without a target');
      if (isAbsolute(target)) throw rejected(entry.raw, `links to the absolute path "${target}"`);
      // POSIX splits a link target on slashes only, Windows on backslashes too: refuse what they read differently.
      if (target.includes('\\')) throw rejected(entry.raw, `links to "${target}", which has a backslash in it`);
      // A symbolic link resolves from its own folder; a hard link names a path from the archive root.
      const from = entry.type === 'SymbolicLink' ? parts.slice(0, -1) : [];
      const problem = resolveInside(from, target, links);
      if (problem) throw rejected(entry.raw, `links to "${target}", ${problem}`);
    }
    if (entry.type !== 'Directory') files.add(entry.path);
  }
  return [...files];
}

/** Walks `target` from the folder `from`; answers what is wrong with it, or undefined when it stays inside. */
function resolveInside(from: string[], target: string, links: ReadonlySet<string>): string | undefined {
  const stack = [...from];
  const segments = target.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (stack.length === 0) return 'outside the source';
      stack.pop();
      continue;
    }
    stack.push(segment as string);
    if (i < segments.length - 1 && links.has(stack.join('/'))) return `through the symbolic link "${stack.join('/')}"`;
  }
  return undefined;
}

function extract(archive: Buffer, destDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Checked already; these options make node-tar refuse the same things again rather than "fix" them.
    const unpack = new Unpack({
      cwd: destDir,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      unlink: false,
    });
    // tar's own refusals are the archive's fault; anything else (a full disk, permissions) is not.
    unpack.on('error', (error: Error & { tarCode?: string }) =>
      reject(error.tarCode ? new InvalidInputError(`source archive could not be extracted: ${error.message}`, { cause: error }) : error),
    );
    unpack.on('close', () => resolve());
    unpack.end(archive);
  });
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path);
}

function rejected(path: string, problem: string): InvalidInputError {
  return new InvalidInputError(`source archive entry "${path}" ${problem}`);
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^TAR_[A-Z_]+: /, '');
}
