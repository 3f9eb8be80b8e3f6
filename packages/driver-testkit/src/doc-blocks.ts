import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The docs' runnable command blocks. A ```sh block directly after a line `<!-- runnable -->` is one a user can
 * type as written on the local backend; the tests run those blocks, in document order, against a real gateway,
 * so the docs cannot drift from what Dispatch does. Blocks for Swarm, Knative, AWS or a second terminal stay
 * unmarked.
 */
export const RUNNABLE_MARKER = '<!-- runnable -->';

export interface DocBlock {
  /** The file, relative to the repository's root. */
  file: string;
  /** The line of the block's first command (1-based). */
  line: number;
  code: string;
}

/** The marked blocks of one markdown file, in order. A marker before anything but a ```sh block is an error. */
export async function runnableBlocks(root: string, file: string): Promise<DocBlock[]> {
  const lines = (await readFile(join(root, file), 'utf8')).split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== RUNNABLE_MARKER) continue;
    if (lines[i + 1] !== '```sh') throw new Error(`${file}:${i + 1}: ${RUNNABLE_MARKER} must be followed by a \`\`\`sh block`);
    const end = lines.indexOf('```', i + 2);
    if (end === -1) throw new Error(`${file}:${i + 2}: the block never ends`);
    blocks.push({ file, line: i + 3, code: lines.slice(i + 2, end).join('\n') });
  }
  return blocks;
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * One bash script that runs the blocks in order, in one shell (a block may use a variable or file an earlier one
 * made), and stops at the first command that fails, saying which block it was in:
 * `runnable block docs/cli.md:42 failed (exit 1): dispatch exec hello`. `replace` adapts what cannot be
 * literal in a test (the gateway's port), applied to each block's text.
 */
export function blocksScript(blocks: DocBlock[], replace: (code: string) => string = (code) => code): string {
  const lines = [
    'set -Eeuo pipefail',
    // Typed at a terminal, a block's commands read no input but what it gives them (a command reading stdin
    // would wait forever on the test's).
    'exec </dev/null',
    `trap 'status=$?; echo "runnable block $DOC_BLOCK failed (exit $status): $BASH_COMMAND" >&2' ERR`,
  ];
  for (const block of blocks) {
    lines.push(`DOC_BLOCK=${quote(`${block.file}:${block.line}`)}`, replace(block.code));
  }
  return `${lines.join('\n')}\n`;
}
