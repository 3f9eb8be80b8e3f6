import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { packSource } from '@dispatch/core/source';
import { contextTar, sourceContextTar } from './build-context.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function entriesOf(tar: Buffer): Promise<Array<{ name: string; mode: number; type: string; linkname?: string | null }>> {
  const entries = [];
  const reader = extract();
  Readable.from([tar]).pipe(reader);
  for await (const entry of reader) {
    const { name, mode, type, linkname } = entry.header;
    entries.push({ name, mode: mode ?? 0, type, ...(type === 'symlink' ? { linkname } : {}) });
    entry.resume();
  }
  return entries;
}

describe('build contexts', () => {
  it('writes files 0644, executables and folders 0755', async () => {
    const tar = await contextTar(
      [
        { path: 'Dockerfile', content: 'FROM x' },
        { path: 'bin/run', content: '#!/bin/sh', executable: true },
      ],
      ['deps'],
    );
    expect(await entriesOf(tar)).toEqual([
      { name: 'deps/', mode: 0o755, type: 'directory' },
      { name: 'Dockerfile', mode: 0o644, type: 'file' },
      { name: 'bin/run', mode: 0o755, type: 'file' },
    ]);
  });

  it("puts a function's source under function/ with readable modes, keeping relative links", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-ctx-'));
    dirs.push(dir);
    await writeFile(join(dir, 'secret.py'), 'x = 1\n', { mode: 0o600 });
    await writeFile(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o700 });
    await symlink('secret.py', join(dir, 'alias.py'));
    const tar = await sourceContextTar(await packSource(dir), 'function', [{ path: '.dispatch.Dockerfile', content: 'FROM x' }]);
    const entries = await entriesOf(tar);
    expect(entries).toContainEqual({ name: 'function/secret.py', mode: 0o644, type: 'file' });
    expect(entries).toContainEqual({ name: 'function/run.sh', mode: 0o755, type: 'file' });
    expect(entries).toContainEqual({ name: 'function/alias.py', mode: 0o755, type: 'symlink', linkname: 'secret.py' });
    expect(entries).toContainEqual({ name: '.dispatch.Dockerfile', mode: 0o644, type: 'file' });
  });

  it('refuses a source that is not a tar.gz', async () => {
    await expect(sourceContextTar(Buffer.from('nope'), 'function', [])).rejects.toMatchObject({ code: 400 });
  });
});
