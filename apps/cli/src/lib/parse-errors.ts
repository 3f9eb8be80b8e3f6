import { stripVTControlCharacters } from 'node:util';

/** The parts of oclif's parser errors this module reads (the classes themselves are not exported by @oclif/core). */
interface OclifParseError extends Error {
  args?: unknown[];
  flags?: string[];
}

const OCLIF_NOTES = /^(Note:|Alternatively,|See more help)/;

/** One reason of oclif's flag validation (`Missing required flag image`), said as Dispatch says it. */
function flagReason(reason: string): string {
  const text = reason.trim();
  const patterns: [RegExp, (...groups: string[]) => string][] = [
    [/^Missing required flag (\S+)$/, (flag) => `--${flag} is required`],
    [/^(--\S+?)(?:=\S*)? cannot also be provided when using (--\S+)$/, (a, b) => `${a} and ${b} cannot be used together`],
    [/^All of the following must be provided when using (--\S+): (.+)$/, (flag, others) => `${flag} also needs ${others}`],
    [/^One of the following must be provided when using (--\S+): (.+)$/, (flag, others) => `${flag} needs one of ${others}`],
    [/^Exactly one of the following must be provided: (.+)$/, (flags) => `give exactly one of ${flags}`],
    [/^At least one of the following must be provided: (.+)$/, (flags) => `give at least one of ${flags}`],
  ];
  for (const [pattern, say] of patterns) {
    const match = pattern.exec(text);
    if (match) return say(...match.slice(1));
  }
  return text;
}

/** `Parsing --port \n\tExpected an integer but received: abc` → `--port must be an integer (got "abc")`. */
function parsingReason(message: string): string | undefined {
  const match = /^Parsing (--\S+)\s+([\s\S]*)$/.exec(message);
  if (!match) return undefined;
  const [, flag = '', inner = ''] = match;
  const detail = inner.replace(/\s+/g, ' ').trim();
  const expected = /^Expected (an? \w+) but received: (.*)$/.exec(detail);
  if (expected) return `${flag} must be ${expected[1]} (got "${expected[2]}")`;
  return `${flag}: ${detail.charAt(0).toLowerCase()}${detail.slice(1)}`;
}

/**
 * Turns one of oclif's command-line parsing errors into Dispatch's words, one problem a line: `--image is
 * required`, `argument PATH is required (the function's file or folder)`, `unknown flag --bogus`.
 */
export function describeParseError(error: Error): string[] {
  const parseError = error as OclifParseError;
  const message = stripVTControlCharacters(error.message).replace(/\nSee more help with --help\s*$/, '');
  switch (error.constructor.name) {
    case 'RequiredArgsError':
      return (parseError.args as { name: string; description?: string }[]).map(
        (arg) => `argument ${arg.name.toUpperCase()} is required${arg.description ? ` (${arg.description})` : ''}`,
      );
    case 'UnexpectedArgsError':
      return (parseError.args ?? []).map((arg) => `unexpected argument "${String(arg)}"`);
    case 'NonExistentFlagsError':
      return (parseError.flags ?? []).map((flag) => `unknown flag ${flag}`);
    case 'FailedFlagValidationError':
    case 'ViolatedFlagConstraintError':
      return message
        .split('\n')
        .slice(1)
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .map(flagReason);
    default:
      break;
  }
  const option = /^Expected (--\S+?)=(.*) to be one of: (.+)$/.exec(message.trim());
  if (option) return [`${option[1]} must be one of ${option[3]} (got "${option[2]}")`];
  const argOption = /^Expected (.*) to be one of: (.+)$/.exec(message.trim());
  if (argOption) return [`"${argOption[1]}" is not one of ${argOption[2]}`];
  const parsing = parsingReason(message.trim());
  if (parsing !== undefined) return [parsing];
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !OCLIF_NOTES.test(line));
  return [lines.join(' ').replace(/\s+/g, ' ')];
}
