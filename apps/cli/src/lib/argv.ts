/** The global flags, and whether each takes a value: the ones the seed's CLI accepted before the command. */
const GLOBAL_FLAGS: ReadonlyMap<string, boolean> = new Map([
  ['--config', true],
  ['--context', true],
  ['--host', true],
  ['--port', true],
  ['--scheme', true],
  ['--token', true],
  ['--output', true],
  ['-o', true],
  ['--insecure', false],
]);

/**
 * Moves global flags written before the command (`dispatch --config ./config.json create image …`, as the seed
 * writes it) to after it, where oclif parses flags. Anything else is left where it is.
 */
export function hoistGlobalFlags(argv: readonly string[]): string[] {
  const hoisted: string[] = [];
  let index = 0;
  while (index < argv.length) {
    const token = argv[index] ?? '';
    const name = token.includes('=') ? token.slice(0, token.indexOf('=')) : token;
    const takesValue = GLOBAL_FLAGS.get(name);
    if (takesValue === undefined) break;
    const width = takesValue && !token.includes('=') ? 2 : 1;
    if (index + width > argv.length) break;
    hoisted.push(...argv.slice(index, index + width));
    index += width;
  }
  if (hoisted.length === 0 || index === argv.length) return [...argv];
  const rest = argv.slice(index);
  const separator = rest.indexOf('--');
  return separator === -1 ? [...rest, ...hoisted] : [...rest.slice(0, separator), ...hoisted, ...rest.slice(separator)];
}
