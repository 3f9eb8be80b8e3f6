import { fileURLToPath } from 'node:url';
import { RUNTIME_CHECK_ARG, type RuntimeLanguage } from './env.js';

export {
  RUNTIME_CHECK_ARG,
  RUNTIME_DEFAULTS,
  RUNTIME_ENV,
  RUNTIME_LANGUAGES,
  RUNTIME_LOAD_FAILED_EXIT_CODE,
  functionServerEnv,
  type FunctionServerSettings,
  type RuntimeLanguage,
  type RuntimeMode,
} from './env.js';
export { parseRuntimeStatus, type RuntimeLoadError, type RuntimeReady, type RuntimeSpare, type RuntimeStatus } from './status.js';

const SERVER_FILES: Record<RuntimeLanguage, string> = {
  nodejs: 'nodejs/server.cjs',
  python3: 'python3/server.py',
};

/**
 * The absolute path of a language's function server file. Resolved from this module's URL: `src/` and `dist/`
 * both sit one level below the package root, beside `nodejs/` and `python3/`.
 */
export function functionServerPath(language: RuntimeLanguage): string {
  const file = SERVER_FILES[language];
  if (file === undefined) throw new TypeError(`no function server for language "${String(language)}"`);
  return fileURLToPath(new URL(`../${file}`, import.meta.url));
}

/** Interpreters to run a function server with. */
export interface FunctionServerCommandOptions {
  /** The node binary; defaults to the one running this process. */
  node?: string;
  /** The python binary; defaults to `python3` on the PATH. */
  python?: string;
  /** Load the handler and exit (0 when it loads, 3 when it does not) instead of serving. */
  check?: boolean;
}

/** The command and arguments that start a language's function server (configure it with {@link functionServerEnv}). */
export function functionServerCommand(
  language: RuntimeLanguage,
  options: FunctionServerCommandOptions = {},
): { command: string; args: string[] } {
  const args = [functionServerPath(language)];
  if (options.check) args.push(RUNTIME_CHECK_ARG);
  const command = language === 'nodejs' ? (options.node ?? process.execPath) : (options.python ?? 'python3');
  return { command, args };
}
