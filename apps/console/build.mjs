// Builds the console into dist/: one bundled script and one stylesheet under assets/ with content hashes in
// their names (the gateway caches them for a year), an index.html that names them, and a .gz beside each file
// so the gateway sends the compressed bytes without compressing on every request.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

await rm(dist, { recursive: true, force: true });
const result = await build({
  entryPoints: { console: join(root, 'src/main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome111', 'firefox113', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: 'assets/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  outdir: dist,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((path) => path.slice(path.indexOf('assets/')));
const script = outputs.find((path) => path.endsWith('.js'));
const style = outputs.find((path) => path.endsWith('.css'));
if (script === undefined || style === undefined) throw new Error(`esbuild wrote ${outputs.join(', ')}: expected a .js and a .css`);

const template = await readFile(join(root, 'src/index.html'), 'utf8');
// Absolute paths: the page is served at /ui as well as /ui/.
const html = template.replace('%SCRIPT%', `/ui/${script}`).replace('%STYLE%', `/ui/${style}`);
await writeFile(join(dist, 'index.html'), html);

for (const file of ['index.html', script, style]) {
  const bytes = await readFile(join(dist, file));
  await writeFile(join(dist, `${file}.gz`), gzipSync(bytes, { level: 9 }));
}
console.log(`console: dist/${script}, dist/${style}, index.html`);
