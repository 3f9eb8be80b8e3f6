import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './helpers/build.js';
import { pollCli, runCli, runCliOk, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

describe('async runs from the CLI: retries, dead letters, requeue', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let home: string;
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    home = await mkdtemp(join(tmpdir(), 'dispatch-cli-dead-letters-'));
    gateway = await startTestGateway({ home });
    cli = { cwd: home, env: { HOME: home, DISPATCH_PORT: String(gateway.port) }, inProcess: true };
    await writeFile(join(home, 'fails.js'), "module.exports = () => { throw new Error('not today'); };\n");
    await runCliOk(['create', 'function', 'fails', './fails.js', '--image', 'nodejs', '--wait'], cli);
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('lists a run that failed its attempts with get runs --failed, and queues it again with requeue run', async () => {
    const id = (await runCliOk(['exec', 'fails', '--async', '--max-attempts', '2', '--idempotency-key', 'k1'], cli)).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // The same key gives the same run.
    expect((await runCliOk(['exec', 'fails', '--async', '--idempotency-key', 'k1'], cli)).trim()).toBe(id);

    const failed = await pollCli(['get', 'runs', '--failed'], cli, (out) => out.includes(id), 60_000);
    expect(failed).toMatch(new RegExp(`${id}.*DEAD LETTER: dead-lettered after 2 attempts`));
    const json = JSON.parse(await runCliOk(['get', 'run', id, '-o', 'json'], cli)) as {
      attempts: number;
      deadLettered: boolean;
      maxAttempts: number;
    };
    expect(json).toMatchObject({ attempts: 2, deadLettered: true, maxAttempts: 2 });

    expect(await runCliOk(['requeue', 'run', id], cli)).toContain(id);
    const refused = await runCli(['requeue', 'run', '00000000-0000-0000-0000-000000000000'], cli);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('[Code: 404] run "00000000-0000-0000-0000-000000000000" not found');
  });
});
