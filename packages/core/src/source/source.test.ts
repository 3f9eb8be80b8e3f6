import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import type { EntryTypeName } from 'tar/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, PayloadTooLargeError } from '../errors.js';
import { decodeSource } from './decode-source.js';
import { packSource } from './pack-source.js';
import { unpackSource } from './unpack-source.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dispatch-source-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface RawEntry {
  path: string;
  type?: EntryTypeName;
  body?: string;
  linkpath?: string;
}

/** A tar.gz with exactly these entries, bypassing the path clean-up that tar's own packer does. */
function archiveOf(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = new Header({
      path: entry.path,
      type: entry.type ?? 'File',
      size: body.length,
      mode: entry.type === 'Directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      linkpath: entry.linkpath,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as Error;
}

describe('packSource and unpackSource', () => {
  it('round-trips a single file under its base name', async () => {
    const file = join(dir, 'src', 'hello.js');
    mkdirSync(join(dir, 'src'));
    writeFileSync(file, 'module.exports = () => "héllo";\n');
    const archive = await packSource(file);
    expect(archive.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

    const out = join(dir, 'out');
    expect(await unpackSource(archive, out)).toEqual(['hello.js']);
    expect(readFileSync(join(out, 'hello.js'), 'utf8')).toBe('module.exports = () => "héllo";\n');
  });

  it('round-trips a folder at the archive root, with subfolders, modes and node_modules, without .git', async () => {
    const src = join(dir, 'fn');
    mkdirSync(join(src, 'lib', 'deep'), { recursive: true });
    mkdirSync(join(src, 'node_modules', 'dep'), { recursive: true });
    mkdirSync(join(src, '.git'));
    writeFileSync(join(src, 'handler.py'), 'def handle(context, payload):\n    return payload\n');
    writeFileSync(join(src, 'lib', 'util.py'), 'X = 1\n');
    writeFileSync(join(src, 'lib', 'deep', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(src, 'node_modules', 'dep', 'index.js'), '');
    writeFileSync(join(src, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    symlinkSync('lib/util.py', join(src, 'alias.py'));

    const out = join(dir, 'out');
    const files = await unpackSource(await packSource(src), out);
    expect([...files].sort()).toEqual(['alias.py', 'handler.py', 'lib/deep/run.sh', 'lib/util.py', 'node_modules/dep/index.js']);
    expect(readFileSync(join(out, 'lib', 'util.py'), 'utf8')).toBe('X = 1\n');
    expect(readFileSync(join(out, 'alias.py'), 'utf8')).toBe('X = 1\n');
    expect(statSync(join(out, 'lib', 'deep', 'run.sh')).mode & 0o100).toBe(0o100);
    expect(existsSync(join(out, '.git'))).toBe(false);
  });

  it('refuses a missing path and an empty folder', async () => {
    await rejection(packSource(join(dir, 'nope')));
    mkdirSync(join(dir, 'empty'));
    expect((await rejection(packSource(join(dir, 'empty')))).message).toContain('is empty');
  });
});

describe('unpackSource', () => {
  const out = (): string => join(dir, 'out');

  it('extracts a hand-made archive with ./ prefixes and folders, listing files only', async () => {
    const archive = archiveOf([
      { path: './', type: 'Directory' },
      { path: './lib/', type: 'Directory' },
      { path: './lib/a.js', body: 'a' },
      { path: 'b.js', body: 'b' },
    ]);
    expect(await unpackSource(archive, out())).toEqual(['lib/a.js', 'b.js']);
  });

  it.each([
    ['a path with ..', [{ path: '../evil.js', body: 'x' }], '".." in it'],
    ['a path with .. in the middle', [{ path: 'lib/../../evil.js', body: 'x' }], '".." in it'],
    ['an absolute path', [{ path: '/tmp/evil.js', body: 'x' }], 'absolute path'],
    ['a symbolic link to an absolute path', [{ path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }], 'absolute path "/etc"'],
    ['a symbolic link out of the folder', [{ path: 'lib/up', type: 'SymbolicLink', linkpath: '../../x' }], 'outside the source'],
    ['a hard link out of the folder', [{ path: 'h', type: 'Link', linkpath: '../x' }], 'outside the source'],
    [
      'a file written through a symbolic link',
      [
        { path: 'lib', type: 'SymbolicLink', linkpath: '.' },
        { path: 'lib/a.js', body: 'x' },
      ],
      'through the symbolic link "lib"',
    ],
    [
      'a link that leaves through another link',
      [
        { path: 'x', type: 'SymbolicLink', linkpath: '.' },
        { path: 'y', type: 'SymbolicLink', linkpath: 'x/..' },
      ],
      'through the symbolic link "x"',
    ],
    [
      'a link that leaves through a link defined after it',
      [
        { path: 'y', type: 'SymbolicLink', linkpath: 'x/..' },
        { path: 'x', type: 'SymbolicLink', linkpath: '.' },
      ],
      'through the symbolic link "x"',
    ],
    ['a device', [{ path: 'dev', type: 'CharacterDevice' }], 'CharacterDevice'],
    ['a FIFO', [{ path: 'pipe', type: 'FIFO' }], 'FIFO'],
  ] as [string, RawEntry[], string][])('refuses %s and writes nothing', async (_, entries, problem) => {
    const error = await rejection(unpackSource(archiveOf([{ path: 'ok.js', body: 'ok' }, ...entries]), out()));
    expect(error.message).toContain(problem);
    expect(existsSync(out())).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses archives over the limits', async () => {
    const archive = archiveOf([
      { path: 'a.js', body: 'x'.repeat(100) },
      { path: 'b.js', body: 'x'.repeat(100) },
    ]);
    expect((await rejection(unpackSource(archive, out(), { maxBytes: 150 }))).message).toContain('more than 150 bytes');
    expect((await rejection(unpackSource(archive, out(), { maxEntries: 1 }))).message).toContain('more than 1 entries');
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('print("hello")\n')],
    ['a gzip of text', gzipSync('not a tar archive')],
    ['a truncated archive', archiveOf([{ path: 'a.js', body: 'x'.repeat(5000) }]).subarray(0, 60)],
    ['random bytes', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 251))],
  ])('refuses %s as not an archive', async (_, bytes) => {
    const error = await rejection(unpackSource(bytes, out()));
    expect(error.message).toMatch(/^source is not a base64 tar\.gz archive/);
  });
});

describe('decodeSource', () => {
  it('decodes standard and URL-safe base64, with or without line breaks', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x00, 0x01]);
    expect(decodeSource(bytes.toString('base64'))).toEqual(bytes);
    expect(decodeSource(bytes.toString('base64url'))).toEqual(bytes);
    expect(decodeSource(`${bytes.toString('base64').slice(0, 4)}\n${bytes.toString('base64').slice(4)}\n`)).toEqual(bytes);
    expect(decodeSource('')).toHaveLength(0);
  });

  it('round-trips with packSource and unpackSource', async () => {
    const file = join(dir, 'hello.js');
    writeFileSync(file, 'x');
    const base64 = (await packSource(file)).toString('base64');
    expect(await unpackSource(decodeSource(base64), join(dir, 'out'))).toEqual(['hello.js']);
  });

  it.each(['not base64!', 'abc$def', 'a', 'aGVsbG8=x'])('refuses %j', (garbage) => {
    expect(() => decodeSource(garbage)).toThrow(InvalidInputError);
  });

  it('refuses a source over maxBytes before decoding it', () => {
    expect(() => decodeSource(Buffer.alloc(1000).toString('base64'), { maxBytes: 999 })).toThrow(PayloadTooLargeError);
    expect(decodeSource(Buffer.alloc(1000).toString('base64'), { maxBytes: 1000 })).toHaveLength(1000);
  });
});
