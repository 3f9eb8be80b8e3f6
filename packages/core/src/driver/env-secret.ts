import { readFileSync } from 'node:fs';

/**
 * A secret setting from the environment: `NAME` when set, else the content of the file `NAME_FILE` names (a Docker
 * or Kubernetes secret mounted as a file, so the value never shows in `docker inspect` or a process's environment).
 * Surrounding whitespace of the file is dropped. Undefined when neither is set.
 *
 * @throws Error naming the variable when `NAME_FILE` cannot be read or is empty (a start-up setting, not input).
 */
export function secretFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name]?.trim();
  if (direct) return direct;
  const file = env[`${name}_FILE`]?.trim();
  if (!file) return undefined;
  let content: string;
  try {
    content = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`${name}_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  if (content === '') throw new Error(`${name}_FILE: ${file} is empty`);
  return content;
}
