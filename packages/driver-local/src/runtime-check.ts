import { BackendError } from '@dispatch/core/driver';
import type { Language, ProgressListener } from '@dispatch/core/driver';
import { runCommand } from './run-command.js';

const LANGUAGE_NAMES: Record<Language, { runtime: string; option: string }> = {
  nodejs: { runtime: 'Node.js', option: 'node' },
  python3: { runtime: 'Python 3', option: 'python' },
};

/**
 * Checks that the binary of a language runs (`<binary> --version`): on this backend a base image is just
 * the language runtime installed on the machine.
 */
export async function checkRuntime(language: Language, binary: string, onProgress?: ProgressListener): Promise<void> {
  const names = LANGUAGE_NAMES[language];
  if (names === undefined) throw new BackendError(`[local] unknown language "${String(language)}"`);
  const result = await runCommand([binary, '--version'], { timeoutMs: 10_000 });
  const version = result.lines.find((line) => line.trim() !== '')?.trim();
  if (result.code === 0 && version !== undefined) {
    onProgress?.(`[local] ${language} functions run on ${names.runtime} ${version.replace(/^(v|Python )/, '')} (${binary})`);
    return;
  }
  const why = result.spawnError?.message ?? (version === undefined ? `exit code ${result.code ?? 'none'}` : version);
  throw new BackendError(
    `[local] ${language} functions need ${names.runtime}, but "${binary} --version" failed (${why}): ` +
      `install ${names.runtime} on this machine or set the local driver's "${names.option}" option`,
  );
}
