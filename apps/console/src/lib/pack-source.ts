import { createTarGzip } from 'nanotar';

/** A file picked or dropped, with its path inside the function's source (`/` separators). */
export interface SourceFile {
  path: string;
  file: Blob;
}

/** The ustar name field holds 100 bytes; nanotar writes no long-name extension, so longer paths are refused. */
const MAX_PATH_BYTES = 100;

/** Version control data is never part of a function, as with the CLI. */
const excluded = (path: string) => path.split('/').includes('.git');

/** The files that make a function's source: all but `.git` folders. */
export function sourceFilesOf(files: readonly SourceFile[]): SourceFile[] {
  return files.filter((entry) => !excluded(entry.path));
}

/**
 * Packs a function's source the way the CLI does (a file as itself at the archive's root, a folder's contents
 * at the root) into the base64 tar.gz the API takes. The browser compresses with CompressionStream('gzip').
 */
export async function packSource(files: readonly SourceFile[]): Promise<string> {
  const kept = sourceFilesOf(files).sort((a, b) => a.path.localeCompare(b.path));
  if (kept.length === 0) throw new Error('the source is empty: pick a file or a folder with files in it');
  const encoder = new TextEncoder();
  const tooLong = kept.find((entry) => encoder.encode(entry.path).length > MAX_PATH_BYTES);
  if (tooLong) throw new Error(`"${tooLong.path}" is longer than ${MAX_PATH_BYTES} bytes: upload this source with the CLI`);
  const entries = await Promise.all(
    kept.map(async (entry) => ({
      name: entry.path,
      data: new Uint8Array(await entry.file.arrayBuffer()),
      attrs: { mode: '644', uid: 0, gid: 0 },
    })),
  );
  const archive = await createTarGzip(entries);
  return toBase64(archive);
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + chunk));
  }
  return btoa(binary);
}

/** The files of an `<input type=file>` (a folder picker gives paths under the folder's name, which is dropped). */
export function filesOfInput(list: FileList): SourceFile[] {
  return Array.from(list, (file) => {
    const relative = file.webkitRelativePath;
    const path = relative === '' ? file.name : relative.slice(relative.indexOf('/') + 1);
    return { path, file };
  });
}

/** The files of a drop: one file, several files, or a folder (read recursively; its contents go at the root). */
export async function filesOfDrop(transfer: DataTransfer): Promise<SourceFile[]> {
  const entries = Array.from(transfer.items, (item) => item.webkitGetAsEntry()).filter((entry) => entry !== null);
  // Without file system entries (a browser that has none), the dropped files themselves, at the root.
  if (entries.length === 0) return Array.from(transfer.files, (file) => ({ path: file.name, file }));
  const files: SourceFile[] = [];
  const single = entries.length === 1 && entries[0]?.isDirectory;
  for (const entry of entries) await collect(entry, single ? '' : `${entry.name}`, files, single === true);
  return files;
}

async function collect(entry: FileSystemEntry, path: string, into: SourceFile[], isRoot: boolean): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    into.push({ path: path === '' ? entry.name : path, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in batches until it answers an empty one.
  while (true) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await collect(child, isRoot ? child.name : `${path}/${child.name}`, into, false);
  }
}
