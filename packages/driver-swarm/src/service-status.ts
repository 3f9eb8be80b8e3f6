import type Dockerode from 'dockerode';
import type { FunctionRuntimeStatus } from '@dispatch/core/driver';
import { containerSpecOf } from './service-spec.js';
import { taskAddress, tcpAccepts } from './task-probe.js';

/** Task errors that no restart fixes: the function stays down until it is deployed again. */
const PERMANENT = [/No such image/i, /invalid reference format/i, /pull access denied/i, /manifest unknown/i, /executable file not found/i];

/** The fields of a task (`GET /tasks`) that status reads. */
export interface TaskInfo {
  ID?: string;
  ServiceID?: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: TaskStatusFields;
  NetworksAttachments?: Array<{ Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }>;
}

export interface StatusContext {
  name: string;
  service: Dockerode.Service;
  tasks: TaskInfo[];
  networkId: string;
  networkName: string;
  funkerPort: number;
  probeTimeoutMs: number;
  /** Told the addresses of the current revision's tasks that accept connections (when there are any). */
  onAccepting?: (addresses: string[]) => void;
}

interface TaskStatusFields {
  State?: string;
  Message?: string;
  Err?: string;
  Timestamp?: string;
  ContainerStatus?: { ExitCode?: number; ContainerID?: string };
}

/**
 * READY when every desired replica runs the service's current image and accepts a TCP connection on the funker
 * port (see `tcpAccepts` for why no call is made). An update in progress, or old tasks still stopping, is not ready; a task that failed for
 * a reason no restart fixes (an image that does not exist) marks the function failed.
 */
export async function serviceStatus(context: StatusContext): Promise<FunctionRuntimeStatus> {
  const { name, service } = context;
  const spec = service.Spec as Dockerode.ServiceSpec;
  const desired = spec.Mode?.Replicated?.Replicas ?? 0;
  const image = containerSpecOf(spec).Image;
  const current = context.tasks.filter((task) => task.Spec?.ContainerSpec?.Image === image);
  const running = current.filter((task) => status(task).State === 'running' && task.DesiredState === 'running');
  const probes = await Promise.all(
    running.map(async (task) => {
      const address = taskAddress(task, context.networkId, context.networkName);
      return address !== undefined && (await tcpAccepts(address, context.funkerPort, context.probeTimeoutMs)) ? address : undefined;
    }),
  );
  const accepting = probes.filter((address): address is string => address !== undefined);
  const ready = accepting.length;
  if (ready > 0) context.onAccepting?.(accepting);
  const replicas = { desired, ready: Math.min(ready, desired) };
  const update = (service as { UpdateStatus?: { State?: string; Message?: string } }).UpdateStatus;
  const updating = update?.State === 'updating' || update?.State === 'rollback_started';

  // An update's old tasks answer calls (by DNS) until their containers stop: READY means only the current
  // revision serves.
  const stopping = context.tasks.filter((task) => task.Spec?.ContainerSpec?.Image !== image && status(task).State === 'running').length;

  if (desired > 0 && ready >= desired && !updating && stopping === 0) return { ready: true, replicas };

  const failedTask = newestFailure(current);
  if (failedTask !== undefined) {
    const detail = describeTask(failedTask);
    const failed = PERMANENT.some((pattern) => pattern.test(detail)) && ready === 0;
    return { ready: false, replicas, failed, reason: `[swarm] function "${name}": a task failed: ${detail}` };
  }
  if (update?.State === 'paused') {
    return { ready: false, replicas, reason: `[swarm] function "${name}": the update is paused: ${update.Message ?? ''}`.trim() };
  }
  if (desired === 0) return { ready: false, replicas, reason: `[swarm] function "${name}" is scaled to 0 replicas` };
  if (updating) return { ready: false, replicas, reason: `[swarm] function "${name}" is being updated` };
  if (stopping > 0 && ready >= desired) {
    return { ready: false, replicas, reason: `[swarm] function "${name}": ${stopping} task(s) of the previous version are stopping` };
  }
  return {
    ready: false,
    replicas,
    reason: `[swarm] function "${name}": ${running.length} of ${desired} tasks running, ${ready} accepting calls on port ${context.funkerPort}`,
  };
}

function status(task: TaskInfo): TaskStatusFields {
  return task.Status ?? {};
}

function newestFailure(tasks: TaskInfo[]): TaskInfo | undefined {
  const failed = tasks.filter((task) => {
    const state = status(task).State;
    return (state === 'rejected' || state === 'failed') && (status(task).Err ?? '') !== '';
  });
  failed.sort((a, b) => String(status(b).Timestamp ?? '').localeCompare(String(status(a).Timestamp ?? '')));
  // A task that is running again since the failure says the failure is over.
  const newest = failed[0];
  if (newest === undefined) return undefined;
  const recovered = tasks.some(
    (task) => status(task).State === 'running' && String(status(task).Timestamp ?? '') > String(status(newest).Timestamp ?? ''),
  );
  return recovered ? undefined : newest;
}

function describeTask(task: TaskInfo): string {
  const { State, Err, ContainerStatus } = status(task);
  const exit = ContainerStatus?.ExitCode;
  return `${Err ?? State ?? 'unknown error'}${exit !== undefined && exit !== 0 ? ` (exit code ${exit})` : ''}`;
}
