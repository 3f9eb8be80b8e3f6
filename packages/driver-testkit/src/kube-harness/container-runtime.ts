import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';

/** What the reconciler needs to know about a container it started. */
export interface ContainerState {
  running: boolean;
  exitCode: number;
  /** The host port (on 127.0.0.1) that the container's serving port is published on. */
  hostPort?: number;
}

/** A container to run for one replica of a revision. */
export interface ReplicaSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  port: number;
  command?: string[];
  args?: string[];
  workingDir?: string;
  labels: Record<string, string>;
}

/** The label every container the harness starts carries, with the harness's id as the value. */
export const HARNESS_LABEL = 'dispatch.kube-harness';

/** The login a node pulls from a registry with, by registry `host[:port]` (a kubelet's credential configuration). */
export type PullCredentials = Record<string, { username: string; password: string }>;

/**
 * Runs the replicas of revisions as plain containers on a Docker engine, ports published on loopback. Images the
 * engine lacks are pulled, as a kubelet does, with the node's registry logins.
 */
export class ContainerRuntime {
  /** Images this runtime pulled: removed again when the harness closes. */
  private readonly pulled = new Set<string>();

  constructor(
    private readonly docker: Docker,
    private readonly harnessId: string,
    private readonly pullCredentials: PullCredentials = {},
  ) {}

  /** The image is on the engine, pulled now if it was not; resolves with why it could not be, if so. */
  async ensureImage(image: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (await this.imageExists(image)) return { ok: true };
    const host = image.split('/')[0] ?? '';
    if (!image.includes('/') || !/[.:]|^localhost$/.test(host)) return { ok: false, reason: 'not found' };
    const login = this.pullCredentials[host];
    try {
      const stream = await this.docker.pull(image, {
        authconfig: { username: login?.username ?? '', password: login?.password ?? '', serveraddress: host },
      });
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
          const failed = output?.find((message) => message.error !== undefined);
          if (error) reject(error);
          else if (failed) reject(new Error(failed.error));
          else resolve();
        });
      });
      this.pulled.add(image);
      return { ok: true };
    } catch (error) {
      const json = (error as { json?: { message?: string } }).json;
      return { ok: false, reason: (json?.message ?? (error as Error).message).trim() };
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  async start(spec: ReplicaSpec): Promise<string> {
    const portKey = `${spec.port}/tcp`;
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
      ...(spec.command === undefined ? {} : { Entrypoint: spec.command }),
      ...(spec.args === undefined ? {} : { Cmd: spec.args }),
      ...(spec.workingDir === undefined ? {} : { WorkingDir: spec.workingDir }),
      Labels: { ...spec.labels, [HARNESS_LABEL]: this.harnessId },
      ExposedPorts: { [portKey]: {} },
      HostConfig: {
        PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
        Init: false,
      },
    });
    await container.start();
    return container.id;
  }

  /**
   * Starts the one container of a Job's pod: no published port, the pod's volumes bound in from the folders
   * the harness wrote them to (read-only, as the kubelet mounts ConfigMap and Secret volumes).
   */
  async startPodContainer(spec: Omit<ReplicaSpec, 'port'> & { binds: string[] }): Promise<string> {
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
      ...(spec.command === undefined ? {} : { Entrypoint: spec.command }),
      ...(spec.args === undefined ? {} : { Cmd: spec.args }),
      ...(spec.workingDir === undefined ? {} : { WorkingDir: spec.workingDir }),
      Labels: { ...spec.labels, [HARNESS_LABEL]: this.harnessId },
      HostConfig: { Binds: spec.binds, Init: false },
    });
    await container.start();
    return container.id;
  }

  /** Whether a container still runs, and how it ended; undefined once it is gone. */
  async state(id: string): Promise<{ running: boolean; exitCode: number; startedAt: string; finishedAt: string } | undefined> {
    try {
      const { State } = await this.docker.getContainer(id).inspect();
      return { running: State.Running, exitCode: State.ExitCode, startedAt: State.StartedAt, finishedAt: State.FinishedAt };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Stops a container (SIGTERM, then SIGKILL after `seconds`), keeping it and its output. */
  async stop(id: string, seconds = 1): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: seconds });
    } catch (error) {
      const code = (error as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw error;
    }
  }

  async inspect(id: string, port: number): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0]?.HostPort;
      const state: ContainerState = { running: info.State.Running, exitCode: info.State.ExitCode };
      if (binding !== undefined && binding !== '') state.hostPort = Number(binding);
      return state;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async restart(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  /**
   * What a container printed, stdout and stderr merged into one text stream (as a kubelet serves pods/log);
   * with `follow`, it goes on until the container stops or the stream is destroyed.
   */
  async logs(id: string, options: { follow: boolean; timestamps: boolean; tail?: number; since?: number }): Promise<Readable> {
    const common = {
      stdout: true,
      stderr: true,
      timestamps: options.timestamps,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.since === undefined ? {} : { since: options.since }),
    };
    const container = this.docker.getContainer(id);
    if (!options.follow)
      return Readable.from([Buffer.from(demux((await container.logs({ ...common, follow: false })) as unknown as Buffer))]);
    const raw = (await container.logs({ ...common, follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    const merged = new PassThrough();
    this.docker.modem.demuxStream(raw, merged, merged);
    raw.on('end', () => merged.end());
    raw.on('error', (error: Error) => merged.destroy(error));
    merged.on('close', () => raw.destroy());
    return merged;
  }

  /** The last lines the container printed (stdout and stderr, in order). */
  async tail(id: string, lines: number): Promise<string[]> {
    try {
      const raw = (await this.docker
        .getContainer(id)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
      return demux(raw)
        .split('\n')
        .map((line) => line.trimEnd())
        .filter((line) => line !== '');
    } catch {
      return [];
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (error) {
      const code = (error as { statusCode?: number }).statusCode;
      if (code !== 404 && code !== 409) throw error;
    }
  }

  /** Removes every container this harness started, and the images it pulled. */
  async removeAll(): Promise<void> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${HARNESS_LABEL}=${this.harnessId}`] } });
    await Promise.all(containers.map((container) => this.remove(container.Id)));
    for (const image of this.pulled)
      await this.docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    this.pulled.clear();
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) → text; a TTY's raw stream passes through. */
function demux(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    if (stream !== 0 && stream !== 1 && stream !== 2) return raw.toString('utf8');
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
