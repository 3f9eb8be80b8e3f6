import { fileURLToPath } from 'node:url';
import { packSource } from '@dispatch/core/source';
import type { Language } from '@dispatch/core/driver';

/** The fixture functions shipped with the testkit (`fixtures/<name>`). */
export type FixtureName = 'nodejs' | 'nodejs-v2' | 'nodejs-broken' | 'python3' | 'python3-v2' | 'python3-broken';

/** The absolute path of a fixture folder. `src/` and `dist/` both sit beside `fixtures/`. */
export function fixturePath(name: FixtureName): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** A fixture packed as a function source (tar.gz), as the CLI would send it. */
export function packFixture(name: FixtureName): Promise<Buffer> {
  return packSource(fixturePath(name));
}

/** The handler of every fixture of a language: the file (nodejs) or `module.func` (python3). */
export function fixtureHandler(language: Language): string {
  return language === 'nodejs' ? 'handler.js' : 'handler.handle';
}
