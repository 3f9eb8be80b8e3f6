import { CliError } from './errors.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The payload of a run: `--input JSON` when given, else stdin (JSON; empty means null). A terminal on stdin
 * means nothing was piped in, so the payload is null rather than a wait for typing.
 */
export async function readPayload(input: string | undefined): Promise<unknown> {
  const fromFlag = input !== undefined;
  if (!fromFlag && process.stdin.isTTY) return null;
  const text = fromFlag ? input : await readStdin();
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = fromFlag ? '--input' : 'the payload on stdin';
    throw new CliError(400, `${where} is not valid JSON: ${(error as Error).message}`);
  }
}
