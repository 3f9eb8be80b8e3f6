/* eslint-disable @typescript-eslint/no-explicit-any -- the test edits the merged stack file */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireEngine } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { buildGatewayImage } from './helpers/gateway-image.js';

// High availability on Swarm: swarm/stack.yml with swarm/stack-postgres.yml deployed for real, two gateway replicas
// on one PostgreSQL service. One gateway task is killed (SIGKILL) under a steady load of blocking runs sent to the
// other: the survivor fails none of them, the async runs submitted through both all end READY, and Swarm starts a
// new task in place of the killed one.
//
// This swarm has one node, and the stack publishes the gateway's port in host mode on a fixed port with
// `max_replicas_per_node: 1` (one replica per node). So the test deploys the stack as Docker merges it
// (`docker stack config`), changed in three ways only: no per-node limit, the port published on a port the engine
// picks for each task (which is also how the test reaches a chosen task), a queue lease of 3 s instead of 30 s, so
// the survivor takes the killed gateway's async runs over within the test, and a run history larger than the runs
// the test makes (the default keeps the newest 1000 runs of a function: on a quick machine the blocking load makes
// more than that after the async runs, which were then pruned before the test read them). It also drops the
// gateway's data volume, which two replicas on one node would share (on separate nodes each has its own).
const root = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);
const swarm = await requireEngine('swarm');

const STACK = `dispatch-ha-${randomBytes(3).toString('hex')}`;
// DISPATCH_TEST_GATEWAY_IMAGE: a gateway image built beforehand from this checkout (then kept); else built here.
const PREBUILT = process.env.DISPATCH_TEST_GATEWAY_IMAGE;
const GATEWAY_IMAGE = PREBUILT ?? `dispatch/gateway:${STACK}`;
const TOKEN = randomBytes(16).toString('hex');
const TOKEN_SECRET = `${STACK}_token`;
const FUNCTION = `${STACK}-square`;
const SQUARE_JS = `module.exports = async (context, payload) => {
  await new Promise((resolve) => setTimeout(resolve, payload.ms));
  return { n: payload.n, square: payload.n * payload.n };
};
`;

interface Task {
  id: string;
  container: string;
  port: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each gateway task's state and error, newest first: why a gateway is not up. */
async function gatewayHistory(): Promise<string[]> {
  const format = '{{.Name}} {{.CurrentState}} {{.Error}}';
  const { stdout } = await exec('docker', ['service', 'ps', '--no-trunc', '--format', format, `${STACK}_gateway`]).catch(() => ({
    stdout: '',
  }));
  return stdout.split('\n').filter(Boolean);
}

/** The gateway's running tasks, with their container and the host port the engine published for each. */
async function runningTasks(): Promise<Task[]> {
  const { stdout } = await exec('docker', ['service', 'ps', '-q', '--no-trunc', '--filter', 'desired-state=running', `${STACK}_gateway`]);
  const tasks: Task[] = [];
  for (const id of stdout.split('\n').filter(Boolean)) {
    const status = JSON.parse((await exec('docker', ['inspect', id, '--format', '{{json .Status}}'])).stdout) as any;
    const port = status.PortStatus?.Ports?.[0]?.PublishedPort;
    if (status.State === 'running' && port) tasks.push({ id, container: status.ContainerStatus.ContainerID, port });
  }
  return tasks;
}

async function api(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${port}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function healthy(port: number): Promise<boolean> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200;
}

/** Polls `probe` until it returns a value; on timeout, the error says what `pending` (if given) still lists. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  pending?: () => string[] | Promise<string[]>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${pending ? `; still:\n${(await pending()).join('\n')}` : ''}`);
    await sleep(500);
  }
}

describe.skipIf(!swarm)('two gateways on PostgreSQL on Docker Swarm (swarm/stack-postgres.yml)', { timeout: 300_000 }, () => {
  let workDir: string;
  let tasks: [Task, Task];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'dispatch-swarm-ha-'));
    // Nothing can be pulled here: PostgreSQL is the local stand-in (built once, kept like the other stand-ins).
    const { stdout: postgres } = await exec('bash', [join(root, 'scripts/docker/ensure-postgres-image.sh')], { timeout: 15 * 60_000 });
    const postgresImage = /^DISPATCH_POSTGRES_IMAGE=(.+)$/m.exec(postgres)?.[1] ?? '';
    const nodeImage = process.env.DISPATCH_NODE_IMAGE ?? '';
    if (!PREBUILT) await buildGatewayImage(GATEWAY_IMAGE);
    await new Promise<void>((resolve, reject) => {
      const create = execFile('docker', ['secret', 'create', TOKEN_SECRET, '-'], (error) => (error ? reject(error) : resolve()));
      create.stdin?.end(TOKEN);
    });
    const { stdout: merged } = await exec('docker', ['stack', 'config', '-c', 'swarm/stack.yml', '-c', 'swarm/stack-postgres.yml'], {
      cwd: root,
      env: {
        ...process.env,
        DISPATCH_TOKEN_SECRET: TOKEN_SECRET,
        DISPATCH_GATEWAY_IMAGE: GATEWAY_IMAGE,
        DISPATCH_SEED_DEFAULTS: 'false',
        DISPATCH_NODE_IMAGE: nodeImage,
        DISPATCH_PYTHON_IMAGE: process.env.DISPATCH_PYTHON_IMAGE ?? '',
        DISPATCH_POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
        DISPATCH_POSTGRES_IMAGE: postgresImage,
      },
    });
    const config = parse(merged);
    const gateway = config.services.gateway;
    expect(gateway.deploy.replicas).toBe(2);
    delete gateway.deploy.placement.max_replicas_per_node;
    gateway.ports = [{ target: 8080, protocol: 'tcp', mode: 'host' }];
    gateway.environment.DISPATCH_QUEUE_LEASE_MS = '3000';
    gateway.environment.DISPATCH_RUN_HISTORY = '1000000';
    gateway.volumes = gateway.volumes.filter((volume: any) => volume.target !== '/var/lib/dispatch');
    delete config.volumes['dispatch-data'];
    await writeFile(join(workDir, 'stack.yml'), stringify(config));
    await exec('docker', ['stack', 'deploy', '-c', join(workDir, 'stack.yml'), STACK]);

    tasks = await waitFor(
      'two healthy gateway tasks',
      async () => {
        const running = await runningTasks();
        return running.length === 2 && (await Promise.all(running.map((task) => healthy(task.port)))).every(Boolean)
          ? (running as [Task, Task])
          : undefined;
      },
      300_000,
      gatewayHistory,
    );

    const [{ port }] = tasks;
    const version = (await api(port, 'GET', '/version')).body.version as string;
    expect(
      (await api(port, 'POST', '/baseimage', { name: 'nodejs-base', language: 'nodejs', imageURL: `dispatch/nodejs-base:${version}` }))
        .status,
    ).toBe(201);
    expect((await api(port, 'POST', '/image', { name: 'nodejs', baseImage: 'nodejs-base' })).status).toBe(201);
    await waitFor(
      'the image',
      async () => ((await api(port, 'GET', '/image/nodejs')).body?.status === 'READY' ? true : undefined),
      300_000,
    );
    await writeFile(join(workDir, 'square.js'), SQUARE_JS);
    // The function's source as `dispatch create function` packs a file: a tar.gz holding it.
    const source = (await exec('tar', ['-czf', '-', '-C', workDir, 'square.js'], { encoding: 'buffer' })).stdout.toString('base64');
    expect((await api(port, 'POST', '/function', { name: FUNCTION, image: 'nodejs', source })).status).toBe(201);
    // Both gateways serve it: each calls the function's service over the overlay network.
    for (const task of tasks) {
      await waitFor(
        'the function',
        async () => ((await api(task.port, 'GET', `/function/${FUNCTION}`)).body?.status === 'READY' ? true : undefined),
        300_000,
      );
    }
  }, 20 * 60_000);

  afterAll(async () => {
    const functionImages: string[] = [];
    const { stdout: image } = await exec('docker', [
      'service',
      'inspect',
      FUNCTION,
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
    ]).catch(() => ({ stdout: '' }));
    if (image.trim()) functionImages.push(image.trim().replace(/@sha256:.*$/, ''));
    const alive = (await runningTasks().catch(() => []))[0];
    if (alive) {
      await api(alive.port, 'DELETE', `/function/${FUNCTION}`).catch(() => undefined);
      await api(alive.port, 'DELETE', '/image/nodejs').catch(() => undefined);
      await api(alive.port, 'DELETE', '/baseimage/nodejs-base').catch(() => undefined);
    }
    await exec('docker', ['service', 'rm', FUNCTION]).catch(() => undefined);
    await exec('docker', ['stack', 'rm', STACK]).catch(() => undefined);
    // The secret and the volume are in use until the stack's tasks are gone.
    const deadline = Date.now() + 90_000;
    while (
      (await exec('docker', ['secret', 'rm', TOKEN_SECRET]).then(
        () => false,
        (error: Error) => !/not found/i.test(error.message),
      )) &&
      Date.now() < deadline
    ) {
      await sleep(1000);
    }
    while (
      (await exec('docker', ['volume', 'rm', `${STACK}_dispatch-postgres`]).then(
        () => false,
        (error: Error) => /in use/i.test(error.message),
      )) &&
      Date.now() < deadline
    ) {
      await sleep(1000);
    }
    if (!PREBUILT) await exec('docker', ['image', 'rm', '-f', GATEWAY_IMAGE]).catch(() => undefined);
    // Not forced: another run on this engine may use the same tag (it names the function's content).
    for (const functionImage of functionImages) await exec('docker', ['image', 'rm', functionImage]).catch(() => undefined);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 150_000);

  it('loses no blocking call through the surviving gateway and no async run when the other gateway is killed', async () => {
    const [survivor, victim] = tasks;
    let stop = false;
    let next = 0;
    const failures: string[] = [];
    let succeeded = 0;
    const worker = async () => {
      while (!stop) {
        const n = next++;
        const reply = await api(survivor.port, 'POST', `/runs?functionName=${FUNCTION}`, { input: { n, ms: 20 } }).catch(
          (error: Error) => ({ status: 0, body: error.message }),
        );
        if (reply.status === 200 && reply.body?.output?.square === n * n) succeeded++;
        else failures.push(`${n}: ${reply.status} ${JSON.stringify(reply.body)}`);
      }
    };
    // A steady load: 4 blocking calls at a time, the whole test long.
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    await sleep(2000);

    // Async runs through both gateways; each takes 300 ms, so the victim's worker holds some of them when it dies.
    const submitted: { id: string; n: number }[] = [];
    for (let n = 0; n < 60; n++) {
      const reply = await api((n % 2 === 0 ? survivor : victim).port, 'POST', `/runs?functionName=${FUNCTION}`, {
        blocking: false,
        input: { n, ms: 300 },
      });
      expect(reply.status).toBe(202);
      submitted.push({ id: reply.body.name ?? reply.body.id, n });
    }
    await exec('docker', ['kill', victim.container]);
    const killedAt = succeeded;
    await sleep(6000);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    // The load went on after the kill.
    expect(succeeded - killedAt).toBeGreaterThan(20);

    // Every async run ends READY with its own input's result, once (one run per submission).
    const ended = new Map<string, any>();
    const seen = new Map<string, string>();
    await waitFor(
      'every async run to end',
      async () => {
        for (const { id } of submitted.filter(({ id }) => !ended.has(id))) {
          const reply = await api(survivor.port, 'GET', `/runs/${id}`);
          seen.set(id, `${reply.status} ${reply.body?.status ?? ''} ${reply.body?.reason ?? reply.body?.message ?? ''}`.trim());
          if (reply.body?.status === 'READY' || reply.body?.status === 'ERROR') ended.set(id, reply.body);
        }
        return ended.size === submitted.length ? true : undefined;
      },
      60_000,
      () => submitted.filter(({ id }) => !ended.has(id)).map(({ id }) => `${id}: ${seen.get(id)}`),
    );
    for (const { id, n } of submitted) {
      expect(ended.get(id)).toMatchObject({ status: 'READY', output: { n, square: n * n } });
    }
    const listed: any[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await api(survivor.port, 'GET', `/runs?functionName=${FUNCTION}&limit=1000&offset=${offset}`)).body as any[];
      listed.push(...page);
      if (page.length < 1000) break;
    }
    const ids = new Set(submitted.map(({ id }) => id));
    expect(listed.filter((run) => ids.has(run.name ?? run.id)).length).toBe(submitted.length);

    // Swarm replaces the killed task: two gateways answer again.
    const restored = await waitFor(
      'Swarm to restore two gateway tasks',
      async () => {
        const running = await runningTasks();
        return running.length === 2 && (await Promise.all(running.map((task) => healthy(task.port)))).every(Boolean) ? running : undefined;
      },
      150_000,
      gatewayHistory,
    );
    expect(restored.map((task) => task.container)).not.toContain(victim.container);
  });
});
