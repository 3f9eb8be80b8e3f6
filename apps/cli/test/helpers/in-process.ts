import { Readable } from 'node:stream';
import { format } from 'node:util';
import { Config, Errors, type Command } from '@oclif/core';
import { COMMANDS } from '../../src/commands.js';
import { hoistGlobalFlags } from '../../src/lib/argv.js';
import { CLI_DIR } from './build.js';
import type { CliOptions, CliResult } from './cli.js';

/**
 * Runs a `dispatch` command inside the test process: the command class from the CLI's explicit command map (its
 * TypeScript source, as the tests load every package) run by oclif over the built CLI's config (its manifest,
 * plugins and hooks), without starting a Node process per command, so the process start and the CLI's module
 * loading are paid once per test file instead of once per command.
 *
 * What a spawned CLI gets from its process is given to it for the duration of the command: the environment
 * (clean of the machine's DISPATCH_* variables), the working folder, stdin, and the exit code; stdout and stderr
 * (and oclif's console output) are captured. Commands run one at a time, since these are the process's own.
 * oclif's own `--help` and `--version`, commands that end the process (`gateway start`) and tests of the process
 * itself (signals, start-up) belong to the spawned runner.
 */
let config: Promise<Config> | undefined;
let queue: Promise<unknown> = Promise.resolve();

export function runCliInProcess(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = queue.then(() => runOne(args, options));
  queue = result.catch(() => undefined);
  return result;
}

async function runOne(args: string[], options: CliOptions): Promise<CliResult> {
  config ??= Config.load(CLI_DIR);
  const loaded = await config;
  const restore = borrowProcess(options);
  let stdout = '';
  let stderr = '';
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  let code: number;
  const consoles = { log: console.log, error: console.error };
  console.log = (...values: unknown[]) => void (stdout += `${format(...values)}\n`);
  console.error = (...values: unknown[]) => void (stderr += `${format(...values)}\n`);
  try {
    const { id, command, argv } = route(hoistGlobalFlags(args));
    if (command === undefined) {
      await loaded.runHook('command_not_found', { id, argv });
    } else {
      command.id = id;
      await command.run(argv, loaded);
    }
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    // What escapes the base command's `catch`: `this.exit(n)`, and oclif's own errors, as oclif's `handle` sees them.
    if (error instanceof Errors.ExitError) {
      code = error.oclif.exit ?? 1;
    } else {
      stderr += `${(error as Error).message}\n`;
      code = (error as { oclif?: { exit?: number } }).oclif?.exit ?? 1;
    }
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    Object.assign(console, consoles);
    process.exitCode = undefined;
    restore();
  }
  return { code, stdout, stderr };
}

/** A command of the map: COMMANDS is typed by oclif's abstract base, its values are the concrete commands. */
type CommandClass = typeof Command & (new (argv: string[], config: Config) => Command);

/** Every name a command answers to (its id and aliases) → its id and class. */
const commands = new Map<string, { id: string; command: CommandClass }>();
for (const [id, command] of Object.entries(COMMANDS)) {
  for (const name of [id, ...command.aliases, ...(command.hiddenAliases ?? [])])
    commands.set(name, { id, command: command as CommandClass });
}

/** The command the words name, as oclif finds it with its space separator: the longest run of words that is an id. */
function route(args: readonly string[]): { id: string; command?: CommandClass; argv: string[] } {
  if (args.includes('--help') || args.includes('--version')) throw new Error('--help and --version are tested with the spawned CLI');
  const firstFlag = args.findIndex((arg) => arg.startsWith('-'));
  const words = firstFlag === -1 ? [...args] : args.slice(0, firstFlag);
  for (let length = words.length; length > 0; length -= 1) {
    const found = commands.get(words.slice(0, length).join(':'));
    if (found !== undefined) return { ...found, argv: args.slice(length) };
  }
  return { id: words.join(':'), argv: args.slice(words.length) };
}

/** Gives the command the environment, folder and stdin a spawned CLI would have; answers how to take them back. */
function borrowProcess(options: CliOptions): () => void {
  const savedEnv = { ...process.env };
  // A spawned CLI has only PATH and the test's variables: no DISPATCH_* of the machine, and no NODE_ENV=test (which
  // turns on oclif's development warnings).
  for (const key of Object.keys(process.env))
    if (key.startsWith('DISPATCH_') || key === 'HOME' || key === 'NODE_ENV') delete process.env[key];
  Object.assign(process.env, options.env);
  const savedCwd = process.cwd();
  if (options.cwd !== undefined) process.chdir(options.cwd);
  const savedStdin = Object.getOwnPropertyDescriptor(process, 'stdin');
  Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(options.input ?? '')]), configurable: true });
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    process.chdir(savedCwd);
    if (savedStdin !== undefined) Object.defineProperty(process, 'stdin', savedStdin);
  };
}
