import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getWithHost } from '@dispatch/driver-testkit';
import { expect } from 'vitest';
import { pollCli, runCliOk, type CliOptions } from '../../apps/cli/test/helpers/cli.js';

// The seed's quickstart as a user types it against a gateway on the swarm backend, shared by the stack's test
// (stack.test.ts, one node) and the two-node one (in-network/quickstart.in-network.ts).
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Step 6 of the seed in `workDir`: the CLI's config.json written by hand (with the token when one is given;
 * without, the CLI of the user who started the gateway finds it), and the example function beside it.
 */
export async function prepareQuickstart(workDir: string, context: { port: number; token?: string }): Promise<void> {
  await mkdir(join(workDir, 'examples/python3'), { recursive: true });
  await copyFile(join(root, 'examples/python3/hello.py'), join(workDir, 'examples/python3/hello.py'));
  const swarm = {
    host: '127.0.0.1',
    port: context.port,
    scheme: 'http',
    insecure: true,
    ...(context.token ? { token: context.token } : {}),
  };
  await writeFile(join(workDir, 'config.json'), JSON.stringify({ current: 'swarm', contexts: { swarm } }, null, 2));
}

export interface QuickstartReplay {
  /** The CLI's options: its folder is the one `prepareQuickstart` filled. */
  cli: CliOptions;
  /** The gateway's port on 127.0.0.1, where the endpoint is called. */
  port: number;
  /** Flags added to `dispatch create function` (the two-node test asks for a replica per node). */
  functionFlags?: string[];
}

/** Create base image, create image, create function, exec, create endpoint, curl: each step checked. */
export async function replayQuickstart({ cli, port, functionFlags = [] }: QuickstartReplay): Promise<void> {
  const config = ['--config', './config.json'];
  const version = JSON.parse(await runCliOk([...config, 'version', '-o', 'json'], cli)) as {
    server?: { backend?: string; version?: string };
  };
  expect(version.server?.backend).toBe('swarm');

  // The gateway builds Dispatch's python3 base image on the engine it drives, then the image on it.
  await runCliOk(
    [...config, 'create', 'base-image', 'python3-base', `dispatch/python3-base:${version.server?.version}`, '--language', 'python3'],
    cli,
  );
  expect(await runCliOk([...config, 'create', 'image', 'python3', 'python3-base'], cli)).toContain('Created image: python3');
  await pollCli([...config, 'get', 'images'], cli, (out) => /python3\s.*READY/.test(out), 300_000);

  expect(
    await runCliOk([...config, 'create', 'function', '--image', 'python3', ...functionFlags, 'hello', './examples/python3/hello.py'], cli),
  ).toContain('Created function: hello');
  await pollCli([...config, 'get', 'function'], cli, (out) => /hello\s.*READY/.test(out), 300_000);

  const envelope = JSON.parse(await runCliOk([...config, 'exec', 'hello'], { ...cli, input: '{"name": "user"}' })) as {
    context: { logs: { stdout: string[] } };
    payload: unknown;
  };
  expect(envelope.payload).toEqual({ myField: 'Hello, user from Nowhere' });
  expect(envelope.context.logs.stdout).toContain('messages to stdout show up in logs');

  await runCliOk([...config, 'create', 'endpoint', 'get-hello', 'hello', '--method', 'GET', '--method', 'POST', '--path', '/hello'], cli);
  const reply = await getWithHost(port, '/hello?name=Jon', 'default.dispatch-server.dispatch.local');
  expect(reply.status).toBe(200);
  expect(JSON.parse(reply.body)).toEqual({ myField: 'Hello, Jon from Nowhere' });
}
