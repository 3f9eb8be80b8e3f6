import type { Hook } from '@oclif/core';

/** An unknown command is a user error like any other: `[Code: 404] …` on one line, and a non-zero exit. */
const commandNotFound: Hook<'command_not_found'> = async function ({ id, config }) {
  const [topic, ...rest] = id.split(':');
  const prefix = `${topic}:`;
  const siblings = rest.length === 0 ? [] : config.commandIDs.filter((other) => other.startsWith(prefix));
  const spaced = (commandId: string) => commandId.replaceAll(':', ' ');
  const hint =
    siblings.length > 0
      ? `; ${topic} has: ${siblings.map((other) => spaced(other.slice(prefix.length))).sort().join(', ')}`
      : `; see "${config.bin} --help"`;
  process.stderr.write(`[Code: 404] command "${spaced(id)}" not found${hint}\n`);
  process.exitCode = 2;
};

export default commandNotFound;
