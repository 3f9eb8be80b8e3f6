import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { eventually, freePort } from '@dispatch/driver-testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { BIN, ensureCliBuilt } from '../../../apps/cli/test/helpers/build.js';
import { runCli, type CliOptions } from '../../../apps/cli/test/helpers/cli.js';
import { prepareQuickstart, replayQuickstart } from '../quickstart.js';

// The seed's quickstart on a swarm of two nodes. packages/driver-swarm/test/two-nodes.integration.test.ts runs
// this file in a container on the manager's overlay network (function tasks can be reached from there only), with
// the manager's Docker socket and the settings of a registry with authentication in its environment. The gateway
// starts as a user starts it on a manager (`dispatch gateway start --backend swarm`); the CLI, run by the same
// user, finds its token. Every image reaches the worker through the registry.
describe('the seed quickstart on a swarm of two nodes, through the gateway and the CLI', () => {
  const docker = new Dockerode();
  let workDir = '';
  let port = 0;
  let gateway: ChildProcess | undefined;
  let gatewayOutput = '';
  let cli: CliOptions;

  beforeAll(async () => {
    await ensureCliBuilt();
    workDir = await mkdtemp(join(tmpdir(), 'dispatch-two-nodes-quickstart-'));
    port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: workDir };
    delete env.XDG_RUNTIME_DIR;
    delete env.DISPATCH_RUNTIME_DIR;
    gateway = spawn(
      process.execPath,
      [BIN, 'gateway', 'start', '--backend', 'swarm', '--port', String(port), '--data-dir', join(workDir, 'data'), '--no-seed-defaults'],
      { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    gateway.stdout?.on('data', (chunk: Buffer) => (gatewayOutput += chunk.toString('utf8')));
    gateway.stderr?.on('data', (chunk: Buffer) => (gatewayOutput += chunk.toString('utf8')));
    await eventually(
      async () => {
        expect(gateway?.exitCode, gatewayOutput).toBeNull();
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      },
      60_000,
      200,
    );
    await prepareQuickstart(workDir, { port });
    cli = { cwd: workDir, env: { HOME: workDir }, timeoutMs: 120_000 };
  });

  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      // The gateway removes what it created: the function's service, then its images on this engine.
      for (const args of [
        ['delete', 'endpoint', 'get-hello'],
        ['delete', 'function', 'hello'],
        ['delete', 'image', 'python3'],
        ['delete', 'base-image', 'python3-base'],
      ]) {
        await runCli(['--config', './config.json', ...args], cli).catch(() => undefined);
      }
      const exited = new Promise((resolve) => gateway?.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("creates the image and the function, runs it and serves it through an endpoint, hello's replicas on both nodes", async () => {
    onTestFailed(() => console.log(`the gateway's output:\n${gatewayOutput.slice(-8000)}`));
    // One replica per node: the seed's quickstart with --replicas 2.
    await replayQuickstart({ cli, port, functionFlags: ['--replicas', '2'] });

    const nodes = (await docker.listNodes()).map((node) => node.ID as string);
    expect(nodes).toHaveLength(2);
    const tasks = await docker.listTasks({ filters: { service: ['hello'], 'desired-state': ['running'] } });
    const running = tasks.filter((task) => (task as { Status?: { State?: string } }).Status?.State === 'running');
    expect(new Set(running.map((task) => (task as { NodeID: string }).NodeID))).toEqual(new Set(nodes));
  });
});
