import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));

/** Builds the gateway (and what it loads) for tests that run it as a process; nx skips what is up to date. */
export async function buildGateway(): Promise<void> {
  await promisify(execFile)('npx', ['nx', 'run', '@dispatch/gateway:build', '--output-style=static'], { cwd: root, timeout: 600_000 });
}

/** A gateway running as its own process (`node apps/gateway/dist/server.js`), to be killed and started again. */
export class GatewayProcess {
  private child: ChildProcess | undefined;
  output = '';
  /** The admin token it requires (the admin API always requires one). */
  readonly token = randomBytes(16).toString('hex');

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A request to its admin API, with its token. */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, { ...init, headers: { authorization: `Bearer ${this.token}`, ...init.headers } });
  }

  /** Starts the process and waits until /healthz answers. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [SERVER], {
      cwd: root,
      env: { ...process.env, DISPATCH_PORT: String(this.port), DISPATCH_LOG_LEVEL: 'warn', DISPATCH_TOKEN: this.token, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a kill reaches the function processes it started too, as a crash of the host would.
      detached: true,
    });
    this.child = child;
    child.stdout?.on('data', (chunk) => (this.output = (this.output + chunk).slice(-20_000)));
    child.stderr?.on('data', (chunk) => (this.output = (this.output + chunk).slice(-20_000)));
    const deadline = Date.now() + 120_000;
    while ((await fetch(`${this.url}/healthz`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the gateway did not come up:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** kill -9 of the gateway and everything it started; resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
}
