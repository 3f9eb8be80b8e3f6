import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { requireEngine } from '@dispatch/driver-testkit';
import { demuxLogLines } from '../src/log-lines.js';
import { RUN_ID, localNodeImage } from './helpers.js';

const docker = (await requireEngine('docker')) ? new Dockerode() : undefined;

// The engine cuts a line longer than 16 KiB into several frames, wherever the cut falls: here inside a
// two-byte character, which must still arrive whole.
describe.skipIf(docker === undefined)('log lines from the engine', () => {
  const name = `dispatch-test-logs-${RUN_ID}`;

  afterAll(async () => {
    await docker
      ?.getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it('keeps multi-byte characters whole across frames, on stdout and stderr', async () => {
    const long = `a${'é'.repeat(12_000)}`;
    const script = `process.stdout.write(${JSON.stringify(`${long}\n`)}); process.stderr.write("€ sur stderr\\n");`;
    // The `local` log driver keeps bytes (json-file would store each cut piece as a JSON string, already mangled).
    const container = await docker!.createContainer({
      name,
      Image: localNodeImage(),
      Cmd: ['node', '-e', script],
      Tty: false,
      HostConfig: { LogConfig: { Type: 'local', Config: {} } },
    });
    await container.start();
    await container.wait();
    const stream = (await container.logs({ stdout: true, stderr: true, follow: true })) as NodeJS.ReadableStream;
    const lines = [];
    for await (const line of demuxLogLines(docker!, stream)) lines.push(line);
    const stdout = lines.filter((line) => line.stream === 'stdout').map((line) => line.line);
    expect(stdout).toHaveLength(1);
    expect(stdout[0]?.includes('\uFFFD'), 'a character was cut').toBe(false);
    expect(stdout[0] === long, `stdout: ${stdout[0]?.length} characters, ${long.length} expected`).toBe(true);
    expect(lines.filter((line) => line.stream === 'stderr').map((line) => line.line)).toEqual(['€ sur stderr']);
  }, 60_000);
});
