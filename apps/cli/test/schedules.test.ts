import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './helpers/build.js';
import { pollCli, runCli, runCliOk, type CliOptions } from './helpers/cli.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

describe('schedules from the CLI', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let home: string;
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    home = await mkdtemp(join(tmpdir(), 'dispatch-cli-schedules-'));
    gateway = await startTestGateway({ home });
    cli = { cwd: home, env: { HOME: home, DISPATCH_PORT: String(gateway.port), TZ: 'UTC' } };
    await writeFile(join(home, 'echo.js'), 'module.exports = (context, payload) => payload;\n');
    await runCliOk(['create', 'function', 'echo', './echo.js', '--image', 'nodejs', '--wait'], cli);
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('creates a schedule and shows its next run times in its time zone', async () => {
    expect(
      await runCliOk(
        ['create', 'schedule', 'nightly', 'echo', '--cron', '30 2 * * *', '--tz', 'Asia/Tokyo', '--input', '{"job":"report"}'],
        cli,
      ),
    ).toContain('nightly');
    const table = await runCliOk(['get', 'schedule'], cli);
    expect(table).toMatch(/NAME\s*\|\s*FUNCTION\s*\|\s*CRON\s*\|\s*TIMEZONE\s*\|\s*NEXT RUNS/);
    // 02:30 in Tokyo is 17:30 UTC, the CLI's zone here.
    expect(table).toMatch(/nightly\s*\|\s*echo\s*\|\s*30 2 \* \* \*\s*\|\s*Asia\/Tokyo\s*\|\s*\w{3} \w{3} [ \d]\d 17:30:00 UTC \d{4}, /);
    const json = JSON.parse(await runCliOk(['get', 'schedule', 'nightly', '-o', 'json'], cli)) as { input: unknown; nextRuns: number[] };
    expect(json).toMatchObject({ input: { job: 'report' } });
    expect(json.nextRuns).toHaveLength(3);
  });

  it('disables and enables a schedule', async () => {
    await runCliOk(['update', 'schedule', 'nightly', '--disable'], cli);
    expect(await runCliOk(['get', 'schedule', 'nightly'], cli)).toMatch(/nightly.*disabled/);
    await runCliOk(['update', 'schedule', 'nightly', '--enable'], cli);
    expect(await runCliOk(['get', 'schedule', 'nightly'], cli)).not.toContain('disabled');
  });

  it.each([
    [['--cron', 'every day'], '[Code: 400] schedule "bad": cron "every day" is not valid'],
    [['--cron', '* * * * *', '--tz', 'Europe/Atlantis'], '[Code: 400] schedule "bad": unknown time zone "Europe/Atlantis"'],
    [['--cron', '* * * * *', '--input', '{nope'], '[Code: 400] --input is not valid JSON'],
  ])('refuses %j with a clear message', async (flags, message) => {
    const result = await runCli(['create', 'schedule', 'bad', 'echo', ...flags], cli);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('refuses a schedule of an unknown function', async () => {
    const result = await runCli(['create', 'schedule', 'bad', 'nope', '--cron', '* * * * *'], cli);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('[Code: 400] schedule "bad": function "nope" not found');
  });

  it("runs the function on its ticks, and get run shows each run's schedule", async () => {
    await runCliOk(['create', 'schedule', 'often', 'echo', '--cron', '* * * * * *', '--input', '{"n":1}'], cli);
    const runs = await pollCli(['get', 'run', '--function', 'echo'], cli, (out) => /READY.*often/.test(out), 20_000);
    expect(runs).toMatch(/SCHEDULE/);
    await runCliOk(['delete', 'schedule', 'often'], cli);
    expect((await runCli(['get', 'schedule', 'often'], cli)).stderr).toContain('[Code: 404] schedule "often" not found');
  });

  it('lists only the runs a schedule started with get runs --schedule, also once the schedule is gone', async () => {
    await runCliOk(['create', 'schedule', 'ticker', 'echo', '--cron', '* * * * * *', '--input', '{"n":2}'], cli);
    await pollCli(['get', 'runs', '--schedule', 'ticker'], cli, (out) => /READY.*ticker/.test(out), 20_000);
    await runCliOk(['delete', 'schedule', 'ticker'], cli);
    await runCliOk(['exec', 'echo', '--input', '{"by":"hand"}'], cli);
    const listed = JSON.parse(await runCliOk(['get', 'runs', '--schedule', 'ticker', '-o', 'json'], cli)) as { schedule?: string }[];
    expect(listed.length).toBeGreaterThanOrEqual(1);
    expect(listed.every((run) => run.schedule === 'ticker')).toBe(true);
    // Without the flag the run by hand and the other schedule's runs are listed too.
    const all = JSON.parse(await runCliOk(['get', 'runs', '--function', 'echo', '-o', 'json'], cli)) as { schedule?: string }[];
    expect(all.some((run) => run.schedule !== 'ticker')).toBe(true);
    // --offset pages through the same list.
    const ids = async (args: string[]) =>
      (JSON.parse(await runCliOk(['get', 'runs', '--function', 'echo', '-o', 'json', ...args], cli)) as { id: string }[]).map(
        (run) => run.id,
      );
    expect([...(await ids(['--limit', '1'])), ...(await ids(['--limit', '1', '--offset', '1']))]).toEqual(await ids(['--limit', '2']));
    const table = await runCliOk(['get', 'runs', '--schedule', 'ticker', '--limit', '1'], cli);
    expect(
      table
        .trim()
        .split('\n')
        .filter((line) => line.includes('ticker')),
    ).toHaveLength(1);
  });

  it('applies a manifest with a schedule, and deletes it with delete -f', async () => {
    await writeFile(
      join(home, 'schedule.yaml'),
      'kind: Schedule\nname: from-manifest\nfunction: echo\ncron: "0 * * * *"\ntimezone: Europe/Lisbon\ninput:\n  hello: world\n',
    );
    await runCliOk(['apply', '-f', 'schedule.yaml'], cli);
    expect(JSON.parse(await runCliOk(['get', 'schedule', 'from-manifest', '-o', 'json'], cli))).toMatchObject({
      timezone: 'Europe/Lisbon',
      input: { hello: 'world' },
    });
    await runCliOk(['delete', '-f', 'schedule.yaml'], cli);
    expect((await runCli(['get', 'schedule', 'from-manifest'], cli)).code).not.toBe(0);
  });
});
