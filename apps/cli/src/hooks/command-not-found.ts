import type { Hook } from '@oclif/core';
import notFound from '@oclif/plugin-not-found';
import levenshtein from 'fast-levenshtein';

const spaced = (commandId: string) => commandId.replaceAll(':', ' ');

/**
 * The command the user most likely meant, with the words after it kept as arguments (`exce hello` → `exec
 * hello`), or undefined when nothing is close. Only as many words as a command has are compared with it, so
 * `get functoin x` still finds `get function`.
 */
export function closestCommand(id: string, commandIds: readonly string[]): { command: string; rest: string[] } | undefined {
  const words = id.split(':');
  let best: { command: string; rest: string[]; distance: number } | undefined;
  for (const command of commandIds) {
    const length = command.split(':').length;
    if (length > words.length) continue;
    const typed = words.slice(0, length).join(':');
    const distance = levenshtein.get(typed, command);
    const close = distance <= Math.max(2, Math.floor(command.length / 3));
    const better = best === undefined || distance < best.distance || (distance === best.distance && command.length > best.command.length);
    if (close && better) best = { command, rest: words.slice(length), distance };
  }
  return best === undefined ? undefined : { command: best.command, rest: best.rest };
}

/**
 * An unknown command is a user error like any other: `[Code: 404] …` on one line, a "did you mean" when a
 * command is close, and a non-zero exit. On a terminal, @oclif/plugin-not-found then offers to run the
 * suggestion.
 */
const commandNotFound: Hook<'command_not_found'> = async function (options) {
  const { id, config, argv = [] } = options;
  const suggestion = closestCommand(id, config.commandIDs);
  if (suggestion === undefined) {
    process.exitCode = 2;
    const [topic, ...rest] = id.split(':');
    const prefix = `${topic}:`;
    const siblings = rest.length === 0 ? [] : config.commandIDs.filter((other) => other.startsWith(prefix));
    const hint =
      siblings.length > 0
        ? `; ${topic} has: ${siblings
            .map((other) => spaced(other.slice(prefix.length)))
            .sort()
            .join(', ')}`
        : `; see "${config.bin} --help"`;
    process.stderr.write(`[Code: 404] command "${spaced(id)}" not found${hint}\n`);
    return;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.exitCode = 2;
    const meant = [config.bin, spaced(suggestion.command), ...suggestion.rest, ...argv].join(' ');
    process.stderr.write(`[Code: 404] command "${spaced(id)}" not found; did you mean "${meant}"?\n`);
    return;
  }
  process.stderr.write(`[Code: 404] command "${spaced(id)}" not found\n`);
  // The plugin asks "Did you mean …?" and runs the command on yes; its own warning and error lines are
  // replaced by the line above.
  const typedWords = suggestion.command.split(':').length;
  const typed = id.split(':').slice(0, typedWords).join(':');
  await notFound.call(
    {
      ...this,
      warn: () => undefined,
      error: () => {
        process.exitCode = 2;
        return undefined as never;
      },
    },
    { ...options, id: typed, argv: [...suggestion.rest, ...argv] },
  );
};

export default commandNotFound;
