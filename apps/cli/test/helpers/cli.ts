import { spawn } from 'node:child_process';
import { BIN } from './build.js';
import { runCliInProcess } from './in-process.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Added to a clean environment (no DISPATCH_* from the machine running the tests). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
  /** Run the command inside the test process (fast; see in-process.ts) instead of spawning the binary. */
  inProcess?: boolean;
}

/** Runs the built `dispatch` binary as a user would. HOME is whatever `env` says, so no real config is read. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (options.inProcess) return runCliInProcess(args, options);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the CLI and fails with its output unless it exits 0. */
export async function runCliOk(args: string[], options: CliOptions = {}): Promise<string> {
  const result = await runCli(args, options);
  if (result.code !== 0) {
    throw new Error(`dispatch ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result.stdout;
}

/** Reruns a command until its output passes `done` (as the seed's "get images until READY"). */
export async function pollCli(args: string[], options: CliOptions, done: (stdout: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stdout = await runCliOk(args, options);
    if (done(stdout)) return stdout;
    if (Date.now() > deadline) throw new Error(`dispatch ${args.join(' ')} never got there; last output:\n${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
