import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import type { Header } from 'tar-stream';
import { inspectSource } from '@dispatch/core/source';

/** A file of a build context. */
export interface ContextFile {
  /** Path inside the context, `/` separated. */
  path: string;
  content: Buffer | string;
  /** Default 0644. */
  executable?: boolean;
}

/** One fixed time for every entry, so that the same files give the same context and hit the build cache. */
const MTIME = new Date(0);

/**
 * A tar build context from files held in memory. Modes are 0644 (0755 for executables and folders): the function
 * check runs as uid 10001, which must be able to read everything.
 */
export async function contextTar(files: readonly ContextFile[], folders: readonly string[] = []): Promise<Buffer> {
  const archive = pack();
  const done = collect(archive);
  for (const folder of folders) {
    archive.entry({ name: `${folder.replace(/\/+$/, '')}/`, type: 'directory', mode: 0o755, mtime: MTIME });
  }
  for (const file of files) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    archive.entry({ name: file.path, mode: file.executable ? 0o755 : 0o644, mtime: MTIME }, content);
  }
  archive.finalize();
  return done;
}

/** A context file read from disk. */
export async function fileFromDisk(path: string, contextPath: string): Promise<ContextFile> {
  return { path: contextPath, content: await readFile(path) };
}

/**
 * A build context holding `extra` files plus a function's source (a tar.gz, as the CLI sends it) under `folder/`.
 * The source is checked by core's `inspectSource` first (no absolute paths, no `..`, no links out of it), then
 * copied entry by entry with normalized modes and owners.
 */
export async function sourceContextTar(source: Buffer, folder: string, extra: readonly ContextFile[]): Promise<Buffer> {
  await inspectSource(source);
  const archive = pack();
  const done = collect(archive);
  archive.entry({ name: `${folder}/`, type: 'directory', mode: 0o755, mtime: MTIME });
  for (const file of extra) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    archive.entry({ name: file.path, mode: file.executable ? 0o755 : 0o644, mtime: MTIME }, content);
  }
  const entries = extract();
  Readable.from(source).pipe(createGunzip()).pipe(entries);
  for await (const entry of entries) {
    const header = entry.header;
    const path = normalize(header.name);
    if (path === undefined) {
      entry.resume();
      continue;
    }
    const copy: Partial<Header> & { name: string } = {
      name: `${folder}/${path}${header.type === 'directory' ? '/' : ''}`,
      type: header.type,
      mode: header.type === 'directory' || ((header.mode ?? 0) & 0o111) !== 0 ? 0o755 : 0o644,
      mtime: header.mtime ?? MTIME,
      uid: 0,
      gid: 0,
    };
    if (header.type === 'symlink') copy.linkname = header.linkname ?? '';
    // A hard link names a path from the archive root, which moved under `folder/`.
    if (header.type === 'link') copy.linkname = `${folder}/${normalize(header.linkname ?? '') ?? ''}`;
    if (header.type === 'file' || header.type === 'contiguous-file') {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      archive.entry({ ...copy, type: 'file' }, Buffer.concat(chunks));
    } else {
      entry.resume();
      archive.entry(copy);
    }
  }
  archive.finalize();
  return done;
}

function normalize(name: string): string | undefined {
  const path = posix
    .normalize(name)
    .replace(/\/+$/, '')
    .replace(/^(\.\/)+/, '');
  return path === '' || path === '.' ? undefined : path;
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
