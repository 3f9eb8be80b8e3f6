/** The languages Dispatch ships a function server for. */
export type RuntimeLanguage = 'nodejs' | 'python3';

/** Every language with a function server, in a stable order. */
export const RUNTIME_LANGUAGES: readonly RuntimeLanguage[] = ['nodejs', 'python3'];

/**
 * How a function server is reached: funker (local, swarm), whose port also speaks Dispatch's multiplexed wire
 * protocol, or HTTP (knative).
 */
export type RuntimeMode = 'funker' | 'http';

/** The environment variables a function server reads. */
export const RUNTIME_ENV = {
  /** The directory holding the function's source. */
  functionDir: 'DISPATCH_FUNCTION_DIR',
  /** nodejs: a file (or folder) relative to the function dir; python3: `module.func`. */
  handler: 'DISPATCH_HANDLER',
  /** `funker` (default) or `http`. */
  mode: 'DISPATCH_MODE',
  /** The funker-mode TCP port; 0 picks an ephemeral port. */
  funkerPort: 'DISPATCH_FUNKER_PORT',
  /** The http-mode port (Knative sets it); 0 picks an ephemeral port. */
  httpPort: 'PORT',
  /** The address to bind. */
  host: 'DISPATCH_HOST',
  /** funker mode: listen on this Unix socket instead of the TCP port (the local backend, one per process). */
  socket: 'DISPATCH_SOCKET',
  /** A file descriptor the server writes its one status line to (see {@link RuntimeStatus}). */
  statusFd: 'DISPATCH_STATUS_FD',
  /** The timeout in ms for requests whose `context.timeout` is 0 or missing; 0 means none. */
  timeoutMs: 'DISPATCH_TIMEOUT_MS',
  /**
   * `1`: exit when standard input closes. A parent that keeps a pipe to the server's stdin gets it to exit
   * with it, even when the parent is killed without a chance to stop its children.
   */
  exitWithParent: 'DISPATCH_EXIT_WITH_PARENT',
  /**
   * `1`: start as a spare (the local backend's pre-warmed process): report `spare` on the status fd, then read one
   * line from stdin, `{"env": {…}, "unset": […]}`, apply it to the environment (handler and settings included),
   * and only then load the handler and listen. The function's environment never goes on a command line.
   */
  spare: 'DISPATCH_SPARE',
  /** `1`: also write a call's stdout and stderr to the server's own streams, where container logs collect them. */
  teeLogs: 'DISPATCH_TEE_LOGS',
} as const;

/** What a function server assumes when a variable of {@link RUNTIME_ENV} is unset. */
export const RUNTIME_DEFAULTS = {
  /** `/function`, or the working directory when `/function` does not exist. */
  functionDir: '/function',
  mode: 'funker',
  funkerPort: 9999,
  httpPort: 8080,
  host: '0.0.0.0',
  timeoutMs: 0,
} as const;

/** The argument that makes a server load the handler and exit (0 when it loads), used at image build time. */
export const RUNTIME_CHECK_ARG = '--check';

/** The exit code of a server whose handler (or configuration) fails to load. */
export const RUNTIME_LOAD_FAILED_EXIT_CODE = 3;

/** The settings a driver passes to a function server; each maps to one variable of {@link RUNTIME_ENV}. */
export interface FunctionServerSettings {
  functionDir?: string;
  handler: string;
  mode?: RuntimeMode;
  /** The port for the chosen mode (funker: DISPATCH_FUNKER_PORT, http: PORT). */
  port?: number;
  host?: string;
  /** funker mode: a Unix socket path to listen on instead of `host:port`. */
  socket?: string;
  statusFd?: number;
  timeoutMs?: number;
  exitWithParent?: boolean;
}

/** The environment variables that configure a function server, ready to merge into a process or container env. */
export function functionServerEnv(settings: FunctionServerSettings): Record<string, string> {
  const mode = settings.mode ?? RUNTIME_DEFAULTS.mode;
  const env: Record<string, string> = { [RUNTIME_ENV.handler]: settings.handler, [RUNTIME_ENV.mode]: mode };
  if (settings.functionDir !== undefined) env[RUNTIME_ENV.functionDir] = settings.functionDir;
  if (settings.port !== undefined) env[mode === 'http' ? RUNTIME_ENV.httpPort : RUNTIME_ENV.funkerPort] = String(settings.port);
  if (settings.host !== undefined) env[RUNTIME_ENV.host] = settings.host;
  if (settings.socket !== undefined) env[RUNTIME_ENV.socket] = settings.socket;
  if (settings.statusFd !== undefined) env[RUNTIME_ENV.statusFd] = String(settings.statusFd);
  if (settings.timeoutMs !== undefined) env[RUNTIME_ENV.timeoutMs] = String(settings.timeoutMs);
  if (settings.exitWithParent) env[RUNTIME_ENV.exitWithParent] = '1';
  return env;
}
