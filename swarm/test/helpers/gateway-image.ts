import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const exec = promisify(execFile);
/** Held by the build in progress; the test files of this folder run in parallel. */
const LOCK = join(tmpdir(), 'dispatch-test-gateway-image.lock');
/** A lock older than this is left over by a killed run (a build under load takes minutes, not this long). */
const STALE_MS = 30 * 60_000;

/**
 * Builds the gateway's image of this checkout as `tag` (the test's own tag, which it removes afterwards). The
 * stack tests each deploy the gateway; they build one at a time, so the second build takes every layer from the
 * engine's cache (seconds) instead of compiling the gateway a second time beside the first.
 */
export async function buildGatewayImage(tag: string): Promise<void> {
  const nodeImage = process.env.DISPATCH_NODE_IMAGE ?? '';
  // The local stand-ins carry Node's headers in /usr/local (nodejs.org is out of reach on these machines).
  const nodeGypNodedir = process.env.DISPATCH_NODE_GYP_NODEDIR ?? (nodeImage.startsWith('dispatch-local/') ? '/usr/local' : '');
  const args = [
    'build',
    '-q',
    '-f',
    'apps/gateway/Dockerfile',
    ...(nodeImage ? ['--build-arg', `NODE_IMAGE=${nodeImage}`] : []),
    ...(nodeGypNodedir ? ['--build-arg', `NODE_GYP_NODEDIR=${nodeGypNodedir}`] : []),
    '-t',
    tag,
    '.',
  ];
  await lock();
  try {
    await exec('docker', args, { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function lock(): Promise<void> {
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await stale()) await rm(LOCK, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** True when the lock's holder is gone (its process ended) or it is older than any build. */
async function stale(): Promise<boolean> {
  const since = await stat(LOCK).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0,
  );
  const pid = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => ''));
  if (since > STALE_MS) return true;
  if (!pid) return since > 10_000; // made, but its holder died before writing its pid
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
