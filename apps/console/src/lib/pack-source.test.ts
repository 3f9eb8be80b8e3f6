import { inspectSource } from '@dispatch/core/source';
import { describe, expect, it } from 'vitest';
import { packSource } from './pack-source.js';

const file = (text: string) => new Blob([text]);

describe('packSource (in the browser, here in Node with the same web APIs)', () => {
  it('packs a file at the root of a tar.gz that the gateway accepts', async () => {
    const archive = Buffer.from(await packSource([{ path: 'hello.py', file: file('def handle(c, p):\n    return p\n') }]), 'base64');
    await expect(inspectSource(archive)).resolves.toEqual(['hello.py']);
  });

  it("packs a folder's contents at the root, sorted, without .git", async () => {
    const files = [
      { path: 'lib/words.js', file: file('module.exports = 1;') },
      { path: '.git/HEAD', file: file('ref: refs/heads/main') },
      { path: 'main.js', file: file("module.exports = () => require('./lib/words');") },
    ];
    const archive = Buffer.from(await packSource(files), 'base64');
    await expect(inspectSource(archive)).resolves.toEqual(['lib/words.js', 'main.js']);
  });

  it('refuses an empty source and a path too long for the archive, saying what to do', async () => {
    await expect(packSource([])).rejects.toThrow('the source is empty');
    await expect(packSource([{ path: `${'a'.repeat(101)}.js`, file: file('') }])).rejects.toThrow('upload this source with the CLI');
  });
});
