// Longer than most files on purpose: the contract suite and, beside it, the local backend's own behaviours
// (process supervision, restarts, images as folders) that share its set-up.
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSource } from '@dispatch/core/source';
import type { Driver } from '@dispatch/core/driver';
import { callFunction, deploySpec, driverContract, eventually, fixtureHandler, packFixture, plainImage } from '@dispatch/driver-testkit';
import { createLocalDriver } from '../src/index.js';

const dataDirs: string[] = [];

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dispatch-local-'));
  dataDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A function folder holding one file. */
async function sourceOf(file: string, text: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'dispatch-src-'));
  dataDirs.push(dir);
  await writeFile(join(dir, file), text);
  return packSource(dir);
}

driverContract({
  name: 'local',
  createDriver: async () => createLocalDriver({ dataDir: await newDataDir() }),
});

describe('local driver', () => {
  let driver: Driver;
  let dataDir: string;
  let nodeImage: string;

  beforeAll(async () => {
    dataDir = await newDataDir();
    // These tests follow processes by the pid a function reports, which a sandbox's pid namespace renumbers:
    // isolation.test.ts covers supervision in the sandbox.
    driver = createLocalDriver({ dataDir, stopGraceMs: 1000, sandbox: 'off' });
    nodeImage = await plainImage(driver, 'nodejs');
  });

  afterAll(async () => {
    await driver.dispose();
  });

  async function deployFixture(name: string, fields: Partial<Parameters<typeof deploySpec>[0]> = {}): Promise<void> {
    await driver.deploy(
      deploySpec({
        name,
        language: 'nodejs',
        imageURL: nodeImage,
        source: await packFixture('nodejs'),
        handler: fixtureHandler('nodejs'),
        ...fields,
      }),
    );
  }

  it('suggests base images and checks that each language runs', async () => {
    expect(driver.defaultBaseImages?.()).toEqual({ nodejs: 'dispatch/nodejs-base', python3: 'dispatch/python3-base' });
    await expect(
      driver.prepareBaseImage?.({ name: 'py', language: 'python3', imageURL: 'dispatch/python3-base' }),
    ).resolves.toBeUndefined();
    const missing = createLocalDriver({ dataDir, python: 'python3-that-does-not-exist' });
    await expect(missing.prepareBaseImage?.({ name: 'py', language: 'python3', imageURL: 'x' })).rejects.toMatchObject({
      name: 'BackendError',
      message: expect.stringMatching(/^\[local\] python3 functions need Python 3.*python3-that-does-not-exist/),
    });
    await missing.dispose();
  });

  it('restarts a process that crashed, and the next call is served', async () => {
    await deployFixture('crashy');
    const first = await callFunction(driver, 'crashy', { action: 'pid' });
    const pid = (first.payload as { pid: number }).pid;
    process.kill(pid, 'SIGKILL');
    // Once the process is gone (reaped), the single replica is down until the supervisor restarts it.
    await eventually(() => expect(isAlive(pid)).toBe(false), 5000, 1);
    const next = await callFunction(driver, 'crashy', { action: 'pid' });
    expect(next.context.error).toBeUndefined();
    expect((next.payload as { pid: number }).pid).not.toBe(pid);
    expect((await driver.status('crashy')).ready).toBe(true);
    await driver.remove('crashy');
  });

  it('kills a process stuck in a synchronous loop past the deadline and replaces it', async () => {
    await deployFixture('spinner', { timeout: 500 });
    const before = (await callFunction(driver, 'spinner', { action: 'pid' })).payload as { pid: number };
    const started = Date.now();
    const stuck = await callFunction(driver, 'spinner', { action: 'spin', ms: 60_000 }, { timeoutMs: 500, deadlineMs: 1000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stuck.context.error).toEqual({ type: 'FunctionError', message: 'function timed out after 500 ms' });
    const after = await callFunction(driver, 'spinner', { action: 'pid' });
    expect(after.context.error).toBeUndefined();
    expect((after.payload as { pid: number }).pid).not.toBe(before.pid);
    await eventually(() => expect(isAlive(before.pid)).toBe(false), 5000);
    await driver.remove('spinner');
  });

  it('reports a process that exits during a call with its exit code, and its logs say it restarted', async () => {
    await deployFixture('exiter');
    const envelope = await callFunction(driver, 'exiter', { action: 'exit', code: 7 });
    expect(envelope.context.error).toEqual({
      type: 'FunctionError',
      message: 'the function process exited during the call (exit code 7)',
    });
    await eventually(async () => {
      const lines: string[] = [];
      for await (const line of driver.logs!('exiter')) lines.push(line.line);
      expect(lines.some((line) => /exited \(exit code 7\); restarting/.test(line))).toBe(true);
    });
    await driver.remove('exiter');
  });

  it('keeps serving during an update and then stops the old processes', async () => {
    await deployFixture('rolling', { replicas: 2 });
    const oldPids = new Set<number>();
    for (let i = 0; i < 6; i++) oldPids.add(((await callFunction(driver, 'rolling', { action: 'pid' })).payload as { pid: number }).pid);
    expect(oldPids.size).toBe(2);
    let stop = false;
    const failures: unknown[] = [];
    const load = (async () => {
      while (!stop) {
        const reply = await callFunction(driver, 'rolling', { action: 'echo', value: 1 }).catch((error: unknown) => error);
        if (!(reply as { context?: { error?: unknown } }).context || (reply as { context: { error?: unknown } }).context.error)
          failures.push(reply);
      }
    })();
    await deployFixture('rolling', { revision: 2, replicas: 2, source: await packFixture('nodejs-v2') });
    await eventually(async () => {
      expect((await callFunction(driver, 'rolling', { action: 'x' })).payload).toEqual({ version: 2, action: 'x' });
    });
    stop = true;
    await load;
    expect(failures).toEqual([]);
    await eventually(() => {
      for (const pid of oldPids) expect(isAlive(pid)).toBe(false);
    }, 10_000);
    await eventually(async () => expect(await readdir(join(dataDir, 'functions', 'rolling'))).toEqual(['2']), 10_000);
    // The same revision again changes nothing.
    await deployFixture('rolling', { revision: 2, replicas: 2, source: await packFixture('nodejs-v2') });
    expect(await driver.list?.()).toContainEqual({ name: 'rolling', revision: 2, replicas: 2 });
    await driver.remove('rolling');
    await expect(readdir(join(dataDir, 'functions'))).resolves.not.toContain('rolling');
  });

  it('keeps the running revision when an update fails to load, and reports the failure', async () => {
    await deployFixture('keeper');
    await expect(deployFixture('keeper', { revision: 2, source: await packFixture('nodejs-broken') })).rejects.toMatchObject({
      name: 'BackendError',
      message: expect.stringMatching(/^\[local\] .*SyntaxError/),
    });
    const status = await driver.status('keeper');
    expect(status).toMatchObject({ ready: false, failed: true });
    expect(status.reason).toMatch(/revision 2 failed to start: .*SyntaxError.*revision 1 still serves calls/);
    expect((await callFunction(driver, 'keeper', { action: 'version' })).payload).toEqual({ version: 1 });
    await deployFixture('keeper', { revision: 3, source: await packFixture('nodejs-v2') });
    expect(await driver.status('keeper')).toEqual({ ready: true, replicas: { desired: 1, ready: 1 } });
    await driver.remove('keeper');
  });

  it('answers UnavailableError for a function whose first deploy failed', async () => {
    await expect(deployFixture('never', { source: await packFixture('nodejs-broken') })).rejects.toMatchObject({ code: 502 });
    await expect(callFunction(driver, 'never', { action: 'version' })).rejects.toMatchObject({
      name: 'UnavailableError',
      message: expect.stringContaining('SyntaxError'),
    });
    await driver.remove('never');
  });

  it('builds a nodejs image with an npm dependency the handler can require, and reuses it', async () => {
    const spec = {
      name: 'with-is-number',
      language: 'nodejs' as const,
      baseImageURL: 'dispatch/nodejs-base',
      runtimeDependencies: JSON.stringify({ dependencies: { 'is-number': '7.0.0' } }),
      systemPackages: [],
    };
    const progress: string[] = [];
    const built = await driver.buildImage(spec, (line) => progress.push(line));
    expect(built.imageURL).toMatch(/^file:\/\/.*\/images\/with-is-number-[0-9a-f]{12}$/);
    expect(progress.some((line) => line.includes('npm install'))).toBe(true);
    const again: string[] = [];
    expect(await driver.buildImage(spec, (line) => again.push(line))).toEqual(built);
    expect(again.join('\n')).toMatch(/reusing/);

    const source = await sourceOf(
      'uses.js',
      "const isNumber = require('is-number');\nmodule.exports = (context, payload) => ({ isNumber: isNumber(payload.value) });\n",
    );
    await driver.deploy(deploySpec({ name: 'uses-dep', language: 'nodejs', imageURL: built.imageURL, source, handler: 'uses.js' }));
    expect((await callFunction(driver, 'uses-dep', { value: '42' })).payload).toEqual({ isNumber: true });
    await driver.remove('uses-dep');
    await driver.removeImage?.(built.imageURL);
    await expect(readdir(join(dataDir, 'images'))).resolves.not.toContain(fileURLToPath(built.imageURL).split('/').pop());
  }, 120_000);

  it("rejects a package.json that is not JSON, and a failed npm install with npm's error", async () => {
    const spec = { name: 'bad', language: 'nodejs' as const, baseImageURL: '', systemPackages: [] };
    await expect(driver.buildImage({ ...spec, runtimeDependencies: '{ not json' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(
      driver.buildImage({ ...spec, runtimeDependencies: JSON.stringify({ dependencies: { 'is-number': '999.999.999' } }) }),
    ).rejects.toMatchObject({ name: 'BackendError', message: expect.stringMatching(/^\[local\] npm .*npm error/s) });
  }, 120_000);

  it('says clearly that pip could not reach a package index', async () => {
    const failed = await driver
      .buildImage({
        name: 'offline',
        language: 'python3',
        baseImageURL: 'dispatch/python3-base',
        runtimeDependencies: 'dispatch-package-that-does-not-exist==1.0\n',
        systemPackages: [],
      })
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(failed).toMatchObject({ name: 'BackendError' });
    expect(failed?.message).toMatch(
      /^\[local\] pip could not reach a package index \(.+\); install from a local wheel path or a system package/,
    );
    expect(failed?.message).toContain('No matching distribution found for dispatch-package-that-does-not-exist');
    await expect(readdir(join(dataDir, 'images'))).resolves.not.toContainEqual(expect.stringMatching(/^offline/));
  }, 120_000);

  it('installs a python3 dependency from a local wheel path', async () => {
    const wheel = await buildWheel(await newDataDir());
    const built = await driver.buildImage({
      name: 'wheel',
      language: 'python3',
      baseImageURL: 'dispatch/python3-base',
      runtimeDependencies: `${wheel}\n`,
      systemPackages: [],
    });
    const source = await sourceOf(
      'uses.py',
      'import dispatch_wheel_fixture\n\ndef handle(context, payload):\n    return {"answer": dispatch_wheel_fixture.answer()}\n',
    );
    await driver.deploy(deploySpec({ name: 'uses-wheel', language: 'python3', imageURL: built.imageURL, source, handler: 'uses.handle' }));
    expect((await callFunction(driver, 'uses-wheel', {})).payload).toEqual({ answer: 42 });
    await driver.remove('uses-wheel');
  }, 120_000);

  it('refuses system packages, funker images and missing image folders', async () => {
    await expect(
      driver.buildImage({
        name: 'sys',
        language: 'python3',
        baseImageURL: '',
        runtimeDependencies: '',
        systemPackages: [{ name: 'libxml2', version: '2.9' }],
      }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringMatching(/libxml2=2\.9.*swarm or knative/) });
    await expect(deployFixture('plain-funker', { protocol: 'funker', source: Buffer.alloc(0) })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/^\[local\] .*funker/),
    });
    await expect(deployFixture('no-image', { imageURL: `file://${dataDir}/images/gone` })).rejects.toMatchObject({
      name: 'BackendError',
      message: expect.stringContaining('does not exist'),
    });
    await driver.remove('no-image');
  });

  it('runs CommonJS handlers even when the data folder is inside an ESM package', async () => {
    const project = await newDataDir();
    await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    const own = createLocalDriver({ dataDir: join(project, 'data') });
    await own.deploy(
      deploySpec({
        name: 'cjs',
        language: 'nodejs',
        imageURL: 'dispatch/nodejs-base',
        source: await packFixture('nodejs'),
        handler: 'handler.js',
      }),
    );
    expect((await callFunction(own, 'cjs', { action: 'version' })).payload).toEqual({ version: 1 });
    await own.dispose();
  });

  it('refuses function names that are not DNS labels, since they become folder names', async () => {
    await expect(deployFixture('../escape')).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(driver.remove('..')).rejects.toMatchObject({ name: 'InvalidInputError' });
  });

  it('leaves no process behind after dispose', async () => {
    const own = createLocalDriver({ dataDir: await newDataDir(), sandbox: 'off' });
    const image = await plainImage(own, 'nodejs');
    const pythonImage = await plainImage(own, 'python3');
    await own.deploy(
      deploySpec({
        name: 'a',
        language: 'nodejs',
        imageURL: image,
        source: await packFixture('nodejs'),
        handler: 'handler.js',
        replicas: 2,
      }),
    );
    await own.deploy(
      deploySpec({
        name: 'b',
        language: 'python3',
        imageURL: pythonImage,
        source: await packFixture('python3'),
        handler: 'handler.handle',
      }),
    );
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add(((await callFunction(own, 'a', { action: 'pid' })).payload as { pid: number }).pid);
    pids.add(((await callFunction(own, 'b', { action: 'pid' })).payload as { pid: number }).pid);
    expect(pids.size).toBe(3);
    await own.dispose();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    await expect(callFunction(own, 'a', { action: 'pid' })).rejects.toMatchObject({ code: 404 });
  });
});

/** A wheel made with the standard library only (no `wheel` package, no index). */
async function buildWheel(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const script = `
import base64, hashlib, os, sys, zipfile
name, version = "dispatch_wheel_fixture", "1.0"
path = os.path.join(sys.argv[1], "%s-%s-py3-none-any.whl" % (name, version))
files = {
    "%s.py" % name: "def answer():\\n    return 42\\n",
    "%s-%s.dist-info/METADATA" % (name, version): "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (name, version),
    "%s-%s.dist-info/WHEEL" % (name, version): "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(path, "w") as wheel:
    for file, text in files.items():
        data = text.encode()
        wheel.writestr(file, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (file, digest, len(data)))
    record_file = "%s-%s.dist-info/RECORD" % (name, version)
    record.append(record_file + ",,")
    wheel.writestr(record_file, "\\n".join(record) + "\\n")
print(path)
`;
  return execFileSync('python3', ['-c', script, dir], { encoding: 'utf8' }).trim();
}
