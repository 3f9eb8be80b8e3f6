import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, gzip } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import type { Header } from 'tar-stream';
import { inspectSource } from '@dispatch/core/source';

const gzipAsync = promisify(gzip);

/** A file or folder of a layer. Owner root; modes 0644, 0755 for folders and executables. */
export interface LayerEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  content?: Buffer | string;
  executable?: boolean;
  linkname?: string;
  mtime?: Date;
}

/** A layer ready to upload: its gzip blob, the blob's digest and size, and the uncompressed tar's digest (diff ID). */
export interface ImageLayer {
  blob: Buffer;
  digest: string;
  diffId: string;
  size: number;
}

/** One fixed time for the files Dispatch adds, so that the same inputs give the same layer, and the same digest. */
const EPOCH = new Date(0);

export async function layerFromEntries(entries: readonly LayerEntry[]): Promise<ImageLayer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const header: Partial<Header> & { name: string } = {
      name: entry.type === 'directory' ? `${entry.path.replace(/\/+$/, '')}/` : entry.path,
      type: entry.type,
      mode: entry.type === 'directory' || entry.executable ? 0o755 : 0o644,
      mtime: entry.mtime ?? EPOCH,
      uid: 0,
      gid: 0,
    };
    if (entry.linkname !== undefined) header.linkname = entry.linkname;
    if (entry.type === 'file')
      archive.entry(header, typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : (entry.content ?? Buffer.alloc(0)));
    else archive.entry(header);
  }
  archive.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  const blob = await gzipAsync(tar);
  return { blob, digest: sha256(blob), diffId: sha256(tar), size: blob.length };
}

/**
 * The entries of a function's source (a tar.gz as the CLI sends it) placed under `folder` (`function` →
 * `/function/...`). The source is checked by core's `inspectSource` first (no absolute paths, no `..`, no links
 * out of it); modes and owners are normalised so the function's user (uid 10001) can read everything.
 */
export async function sourceEntries(source: Buffer, folder: string): Promise<LayerEntry[]> {
  await inspectSource(source);
  const entries: LayerEntry[] = [{ path: folder, type: 'directory' }];
  const tar = extract();
  Readable.from(source).pipe(createGunzip()).pipe(tar);
  for await (const item of tar) {
    const header = item.header;
    const path = normalize(header.name);
    if (path === undefined || !['file', 'contiguous-file', 'directory', 'symlink', 'link'].includes(header.type ?? '')) {
      item.resume();
      continue;
    }
    const mtime = header.mtime ?? EPOCH;
    if (header.type === 'file' || header.type === 'contiguous-file') {
      const parts: Buffer[] = [];
      for await (const part of item) parts.push(part as Buffer);
      entries.push({
        path: `${folder}/${path}`,
        type: 'file',
        content: Buffer.concat(parts),
        executable: ((header.mode ?? 0) & 0o111) !== 0,
        mtime,
      });
      continue;
    }
    item.resume();
    if (header.type === 'directory') entries.push({ path: `${folder}/${path}`, type: 'directory', mtime });
    else if (header.type === 'symlink')
      entries.push({ path: `${folder}/${path}`, type: 'symlink', linkname: header.linkname ?? '', mtime });
    // A hard link names a path from the archive root, which moved under `folder/`.
    else entries.push({ path: `${folder}/${path}`, type: 'link', linkname: `${folder}/${normalize(header.linkname ?? '') ?? ''}`, mtime });
  }
  return entries;
}

function normalize(name: string): string | undefined {
  const path = posix
    .normalize(name)
    .replace(/\/+$/, '')
    .replace(/^(\.\/)+/, '');
  return path === '' || path === '.' ? undefined : path;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
