import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The folder of the console's built files (`@dispatch/console`'s dist), found through module resolution so it
 * works from the checkout, an installed package and the gateway image alike; undefined when the package is absent.
 */
export function consoleFilesDir(): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('@dispatch/console/package.json')), 'dist');
  } catch {
    return undefined;
  }
}
