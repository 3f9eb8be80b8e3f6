import type { Language } from '../domain/types.js';
import { InvalidInputError } from '../errors.js';

/**
 * Dispatch's handler defaults: a single nodejs file is its own handler, a single python file `hello.py` is
 * `hello.handle`; a nodejs folder uses its index.js. A python folder must say which function to call.
 * `files` are the archive's file paths (see `inspectSource`).
 */
export function defaultHandler(language: Language, files: string[]): string {
  const code = files.filter((file) => (language === 'nodejs' ? /\.(c|m)?js$/.test(file) : file.endsWith('.py')));
  if (files.length === 1 && code.length === 1) {
    const file = code[0] as string;
    return language === 'nodejs' ? file : `${file.slice(0, -3).replaceAll('/', '.')}.handle`;
  }
  if (language === 'nodejs' && (files.includes('index.js') || files.includes('package.json'))) return '.';
  throw new InvalidInputError(
    language === 'nodejs'
      ? 'the source is a folder without index.js or package.json: give the handler file (e.g. "handler": "main.js")'
      : 'the source is a folder: give the handler as module.function (e.g. "handler": "main.handle")',
  );
}
