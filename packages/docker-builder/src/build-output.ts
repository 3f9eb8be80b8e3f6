import { stripVTControlCharacters } from 'node:util';

/** One JSON message of the engine's `/build` or `/images/{name}/push` stream. */
export interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string };
}

/** How a build failed, from its last messages. */
export interface BuildFailure {
  /** The engine's error (`The command '/dispatch/server --check' returned a non-zero code: 3`). */
  error: string;
  /** The exit code of the failed step, when a RUN step failed. */
  exitCode?: number;
  /** The last meaningful output line before the error (the failing command's own message), ANSI stripped. */
  lastLine?: string;
  /** The step that failed (`FROM no/such-image`), without the builder's `Step N/M :`. */
  step?: string;
}

/** Lines the classic builder prints around every step, which never explain a failure. */
const NOISE = [/^Step \d+\/\d+ : /, /^ ---> /, /^Removing intermediate container /, /^Successfully (built|tagged) /];

/**
 * Collects a build's output: every line for progress, and the last meaningful line, which is what a person
 * needs when the next message is the engine's error.
 */
export class BuildOutput {
  private lastLine: string | undefined;
  private step: string | undefined;
  private pending = '';
  failure: BuildFailure | undefined;
  imageId: string | undefined;

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds one decoded message; output lines go to the listener as they complete. */
  push(message: EngineMessage): void {
    if (message.aux?.ID !== undefined) this.imageId = message.aux.ID;
    if (typeof message.stream === 'string') {
      this.pending += message.stream;
      const lines = this.pending.split(/\r?\n/);
      this.pending = lines.pop() ?? '';
      for (const line of lines) this.line(line);
    } else if (typeof message.status === 'string') {
      const text = [message.id, message.status, message.progress].filter(Boolean).join(' ');
      this.line(text);
    }
    if (message.error !== undefined || message.errorDetail !== undefined) {
      this.flush();
      const error = stripVTControlCharacters(message.errorDetail?.message ?? message.error ?? 'the build failed').trim();
      this.failure = { error, exitCode: exitCodeOf(message), lastLine: this.lastLine, step: this.step };
      this.onLine(error);
    }
  }

  /** Passes on a partial last line. */
  flush(): void {
    if (this.pending !== '') this.line(this.pending);
    this.pending = '';
  }

  private line(raw: string): void {
    const line = stripVTControlCharacters(raw).trimEnd();
    if (line.trim() === '') return;
    this.onLine(line);
    const step = /^Step \d+\/\d+ : (.*)$/.exec(line);
    if (step?.[1] !== undefined) {
      this.step = step[1].trim();
      this.lastLine = undefined;
      return;
    }
    if (!NOISE.some((pattern) => pattern.test(line))) this.lastLine = line.trim();
  }
}

function exitCodeOf(message: EngineMessage): number | undefined {
  const code = message.errorDetail?.code;
  if (typeof code === 'number' && code > 0) return code;
  const match = /returned a non-zero code: (\d+)/.exec(message.errorDetail?.message ?? message.error ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Decodes a stream of newline-separated JSON messages, tolerating messages split across chunks. */
export async function* engineMessages(stream: AsyncIterable<Buffer | string>): AsyncGenerator<EngineMessage> {
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      const message = parse(part);
      if (message !== undefined) yield message;
    }
  }
  const message = parse(pending + decoder.decode());
  if (message !== undefined) yield message;
}

function parse(text: string): EngineMessage | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed) as EngineMessage;
  } catch {
    return { stream: `${trimmed}\n` };
  }
}
