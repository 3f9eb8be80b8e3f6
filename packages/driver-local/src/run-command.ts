import { spawn } from 'node:child_process';
import { trackChild } from './child-registry.js';
import { readBoundedLines } from './line-reader.js';

export interface CommandResult {
  /** The exit code; null when the command could not start or was killed. */
  code: number | null;
  /** The output lines, stdout and stderr interleaved as they came (the last ones, when there were many). */
  lines: string[];
  /** Why the command could not start (a missing binary), if it could not. */
  spawnError?: Error;
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

const KEPT_LINES = 500;

/** Runs a build or probe command to completion, streaming its output lines; never rejects. */
export function runCommand(argv: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.resolve({ code: null, lines: [], spawnError: new Error('empty command') });
  return new Promise((resolve) => {
    const lines: string[] = [];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    const onLine = (line: string): void => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      options.onLine?.(line);
    };
    const open: Promise<void>[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      // A build's packages may print anything (their scripts, when allowed): never hold more than a bounded line.
      readBoundedLines(stream, onLine);
      open.push(new Promise((done) => stream.once('end', done).once('close', done)));
    }
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      if (child.pid !== undefined) return;
      clearTimeout(timer);
      resolve({ code: null, lines, spawnError: error });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // 'close' comes after the streams ended, but the line readers may still hold a last partial line.
      void Promise.all(open).then(() => resolve({ code, lines }));
    });
  });
}

/** Splits a configured command (`python3 -m pip`) into argv; an array is taken as it is. */
export function toArgv(command: string | readonly string[]): string[] {
  return typeof command === 'string'
    ? command
        .trim()
        .split(/\s+/)
        .filter((part) => part !== '')
    : [...command];
}
