import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's version, read from its package.json whether running from src/ or from the bundled dist/. */
function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@dispatch/core' && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
  }
  return '0.0.0';
}

/** The version of @dispatch/core, reported by `/v1/version`. */
export const DISPATCH_VERSION = readVersion();
