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

/** Runs the replicas of revisions as plain containers on a Docker engine, ports published on loopback. */
export class ContainerRuntime {
  constructor(
    private readonly docker: Docker,
    private readonly harnessId: string,
  ) {}

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

  /** The last lines the container printed (stdout and stderr, in order). */
  async tail(id: string, lines: number): Promise<string[]> {
    try {
      const raw = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
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

  /** Removes every container this harness started. */
  async removeAll(): Promise<void> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${HARNESS_LABEL}=${this.harnessId}`] } });
    await Promise.all(containers.map((container) => this.remove(container.Id)));
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
