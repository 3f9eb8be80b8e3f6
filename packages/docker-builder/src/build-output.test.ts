import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BuildOutput, engineMessages } from './build-output.js';

describe('BuildOutput', () => {
  it("keeps the loader's line before the engine's error, without colour codes", () => {
    const lines: string[] = [];
    const output = new BuildOutput((line) => lines.push(line));
    output.push({ stream: 'Step 7/7 : RUN ["/dispatch/server", "--check"]\n' });
    output.push({ stream: ' ---> Running in 3f2a\n' });
    output.push({ stream: "\u001b[91mModuleNotFoundError: No module named 'nope'\n\u001b[0m" });
    output.push({
      errorDetail: { code: 3, message: "The command '/dispatch/server --check' returned a non-zero code: 3" },
      error: "The command '/dispatch/server --check' returned a non-zero code: 3",
    });
    expect(output.failure).toEqual({
      error: "The command '/dispatch/server --check' returned a non-zero code: 3",
      exitCode: 3,
      lastLine: "ModuleNotFoundError: No module named 'nope'",
      step: 'RUN ["/dispatch/server", "--check"]',
    });
    expect(lines).toContain("ModuleNotFoundError: No module named 'nope'");
    expect(lines.join('\n')).not.toContain('\u001b');
  });

  it('joins a line split across stream messages', () => {
    const lines: string[] = [];
    const output = new BuildOutput((line) => lines.push(line));
    output.push({ stream: 'Successfully ' });
    output.push({ stream: 'built abc\n' });
    output.push({ aux: { ID: 'sha256:abc' } });
    expect(lines).toEqual(['Successfully built abc']);
    expect(output.imageId).toBe('sha256:abc');
    expect(output.failure).toBeUndefined();
  });
});

describe('engineMessages', () => {
  it('decodes JSON messages split across chunks and multi-byte characters split between them', async () => {
    const text = Buffer.from('{"stream":"h\u00e9llo\\n"}\n{"status":"Pushing","id":"1"}\n');
    const chunks = [text.subarray(0, 13), text.subarray(13, 30), text.subarray(30)];
    const messages = [];
    for await (const message of engineMessages(Readable.from(chunks))) messages.push(message);
    expect(messages).toEqual([{ stream: 'h\u00e9llo\n' }, { status: 'Pushing', id: '1' }]);
  });
});
