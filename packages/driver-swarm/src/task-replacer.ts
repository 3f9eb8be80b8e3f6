import type Dockerode from 'dockerode';
import type { DispatchLogger } from '@dispatch/core/driver';
import type { TaskInfo } from './service-status.js';
import { taskAddress } from './task-probe.js';

export interface TaskReplacerOptions {
  docker: Dockerode;
  networkName: string;
  /** The ID of the overlay network; the driver caches it. */
  networkId: () => Promise<string>;
  /**
   * Runs an operation alone among the operations on a function (deploy, scale, remove): a task that ends while
   * its service is updated may be restarted with the revision being replaced.
   */
  exclusive: (service: string, operation: () => Promise<void>) => Promise<void>;
  logger?: DispatchLogger;
}

export interface TaskReplacer {
  /**
   * Kills the container (its function server is stuck and serves nothing) of the running task of `service` whose address on the overlay network is `host`; its
   * restart policy makes Swarm start a replacement. A task on another node (its container unknown to this engine) is
   * replaced by forcing an update of the service. A report about a call sent to `host` before its task was
   * last replaced is ignored: that call reached the task already replaced (several calls stuck on one task
   * replace it once). Resolves when the container has ended (or when there was nothing to end); never rejects.
   * The function's other operations wait until Swarm runs the new task (15 s at most).
   */
  replace(service: string, host: string, sentAt: number): Promise<void>;
  /** Forgets the replacements of a removed service. */
  forget(service: string): void;
}

/** How long a replacement is remembered, to ignore late reports about the task it replaced. */
const REMEMBER_MS = 10 * 60_000;
/** How long the function's other operations wait for Swarm to run the task that replaces an ended one. */
const SETTLE_MS = 15_000;

/**
 * Replaces the tasks that the driver finds stuck. Rare, so it asks the engine each time (the tasks of the
 * service and their addresses); nothing of it runs on a call that gets its reply in time.
 */
export function createTaskReplacer(options: TaskReplacerOptions): TaskReplacer {
  const { docker, networkName, logger } = options;
  /** By `service host`: when the task at that address was last replaced (the start, then the end, of it). */
  const replacedAt = new Map<string, number>();
  const running = new Map<string, Promise<void>>();

  async function findTask(service: string, host: string): Promise<TaskInfo | undefined> {
    const networkId = await options.networkId();
    const tasks = (await docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as TaskInfo[];
    // An address belongs to one running task of the network, so it names the task even if the name filter matched more.
    return tasks.find((task) => task.Status?.State === 'running' && taskAddress(task, networkId, networkName) === host);
  }

  /** Until Swarm runs another task in the slot of the ended one, or there is none to wait for. */
  async function settle(service: string, ended: TaskInfo): Promise<void> {
    const until = Date.now() + SETTLE_MS;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const tasks = (await docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as TaskInfo[];
      const replacement = tasks.some(
        (task) =>
          task.ServiceID === ended.ServiceID && task.Slot === ended.Slot && task.ID !== ended.ID && task.Status?.State === 'running',
      );
      if (replacement || !tasks.some((task) => task.ServiceID === ended.ServiceID)) return;
    }
  }

  async function forceUpdate(service: string, about: Record<string, unknown>): Promise<boolean> {
    try {
      const current = (await docker.getService(service).inspect()) as Dockerode.Service;
      const spec = current.Spec as Dockerode.ServiceSpec;
      const template = { ...spec.TaskTemplate, ForceUpdate: ((spec.TaskTemplate as { ForceUpdate?: number })?.ForceUpdate ?? 0) + 1 };
      await docker.getService(service).update({ version: current.Version?.Index, ...spec, TaskTemplate: template });
      logger?.warn(
        about,
        `[swarm] function "${service}": task ${String(about.task)} on node ${String(about.node)}, stuck past its deadline, runs where this engine cannot end it; forced an update of the service, so Swarm replaces its tasks`,
      );
      return true;
    } catch (error) {
      logger?.warn(
        { ...about, error },
        `[swarm] function "${service}": could not force an update to replace task ${String(about.task)} on node ${String(about.node)}`,
      );
      return false;
    }
  }

  async function run(service: string, host: string, onEnded: () => void): Promise<void> {
    const details = { function: service, host };
    let task: TaskInfo | undefined;
    try {
      task = await findTask(service, host);
    } catch (error) {
      logger?.warn({ ...details, error }, `[swarm] function "${service}": could not list its tasks to replace the task at ${host}`);
      return;
    }
    const containerId = task?.Status?.ContainerStatus?.ContainerID;
    if (task === undefined || containerId === undefined || containerId === '') {
      logger?.debug(details, `[swarm] function "${service}": no running task at ${host} any more`);
      return;
    }
    const about = { ...details, task: task.ID, container: containerId, node: task.NodeID };
    const container = docker.getContainer(containerId);
    try {
      await container.kill({ signal: 'SIGKILL' });
      logger?.warn(
        about,
        `[swarm] function "${service}": killed task ${task.ID ?? ''} at ${host}, stuck past its deadline; Swarm replaces it`,
      );
    } catch (error) {
      const statusCode = (error as { statusCode?: number }).statusCode;
      if (statusCode === 404) {
        // The task runs on another node, whose engine alone can end its container. Swarm has no way to end one
        // task, but a forced update replaces every task of the service (a rolling update, new tasks first).
        if (!(await forceUpdate(service, about))) return;
      } else if (statusCode !== 304 && statusCode !== 409) {
        // 304 / 409 mean the container is not running any more, which is what was wanted.
        logger?.warn({ ...about, error }, `[swarm] function "${service}": could not replace task ${task.ID ?? ''} at ${host}`);
        return;
      }
    }
    onEnded();
    await settle(service, task).catch(() => undefined);
  }

  return {
    replace(service, host, sentAt) {
      const key = `${service} ${host}`;
      const last = replacedAt.get(key);
      if (last !== undefined && sentAt <= last) return running.get(key) ?? Promise.resolve();
      const now = Date.now();
      for (const [other, at] of replacedAt) if (now - at > REMEMBER_MS) replacedAt.delete(other);
      replacedAt.set(key, now);
      let ended = (): void => undefined;
      const job = new Promise<void>((resolve) => (ended = resolve));
      running.set(key, job);
      let marked = false;
      const markEnded = (): void => {
        if (marked) return;
        marked = true;
        // Calls sent until the container ended reached the task that was replaced.
        replacedAt.set(key, Date.now());
        if (running.get(key) === job) running.delete(key);
        ended();
      };
      options
        .exclusive(service, () => run(service, host, markEnded))
        .catch((error: unknown) =>
          logger?.warn({ function: service, host, error }, `[swarm] function "${service}": could not replace the task at ${host}`),
        )
        .finally(markEnded);
      return job;
    },

    forget(service) {
      for (const key of replacedAt.keys()) if (key.startsWith(`${service} `)) replacedAt.delete(key);
    },
  };
}
