import type { IncomingMessage, ServerResponse } from 'node:http';
import { KubeApiError, badRequest } from './api-errors.js';
import type { ContainerRuntime } from './container-runtime.js';
import { parseLabelSelector } from './label-selector.js';
import type { JobPod, JobRunner } from './job-runner.js';
import type { HarnessPod, Reconciler } from './reconciler.js';

/** Knative names the serving container `user-container` when the Service's container has no name. */
export const USER_CONTAINER = 'user-container';
const PREFIX = '/api/v1/';

/**
 * Core v1 pods, read-only, for the containers the harness's reconciler runs: list (with a label selector), get,
 * and `pods/log` (`container`, `follow`, `tailLines`, `sinceTime`, `timestamps`), the log being the container's output on the
 * Docker engine, stdout and stderr merged as the kubelet serves them. Query parameters are checked as the API
 * server checks them (400 on a bad `tailLines`, an unknown container). Resolves false for any other path.
 */
export async function servePods(
  reconciler: Reconciler | undefined,
  containers: ContainerRuntime,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  sendJson: (res: ServerResponse, status: number, body: unknown) => void,
  jobs?: JobRunner,
): Promise<boolean> {
  if (!url.pathname.startsWith(PREFIX)) return false;
  const parts = url.pathname.slice(PREFIX.length).split('/').filter(Boolean);
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts[1] !== undefined) {
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const [plural, name, subresource, extra] = parts;
  if (plural !== 'pods' || extra !== undefined || (name !== undefined && namespace === undefined)) return false;
  if (req.method !== 'GET')
    throw new KubeApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const pods = reconciler?.pods(namespace) ?? [];
  const jobPods = jobs?.pods(namespace) ?? [];
  if (name === undefined) {
    const selector = parseLabelSelector(url.searchParams.get('labelSelector'));
    const items = [
      ...pods.filter((pod) => selector(pod.revision.labels)).map(podObject),
      ...jobPods.filter((pod) => selector(pod.labels)).map(jobPodObject),
    ];
    sendJson(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '1' }, items });
    return true;
  }
  const jobPod = jobPods.find((candidate) => candidate.name === name);
  if (jobPod !== undefined) {
    if (subresource === undefined) sendJson(res, 200, jobPodObject(jobPod));
    else if (subresource !== 'log') throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    else await streamLog({ name: jobPod.name, container: jobPod.container, containerId: jobPod.containerId }, containers, url, req, res);
    return true;
  }
  const pod = pods.find((candidate) => candidate.replica.podName === name);
  if (pod === undefined) throw new KubeApiError(404, 'NotFound', `pods "${name}" not found`, { kind: 'pods', name });
  if (subresource === undefined) {
    sendJson(res, 200, podObject(pod));
    return true;
  }
  if (subresource !== 'log') throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
  await streamLog({ name: pod.replica.podName, container: USER_CONTAINER, containerId: pod.replica.id }, containers, url, req, res);
  return true;
}

/** A Job's pod as the API serves it: phase, and its container's state (waiting, running, terminated with the exit code). */
function jobPodObject(pod: JobPod): Record<string, unknown> {
  const state =
    pod.phase === 'Pending'
      ? { waiting: pod.waiting ?? { reason: 'ContainerCreating' } }
      : pod.phase === 'Running'
        ? { running: { startedAt: pod.startedAt } }
        : {
            terminated: {
              exitCode: pod.exitCode ?? 1,
              reason: pod.phase === 'Succeeded' ? 'Completed' : 'Error',
              startedAt: pod.startedAt,
            },
          };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels, creationTimestamp: pod.startedAt },
    spec: { restartPolicy: 'Never', containers: [{ name: pod.container, image: pod.image }] },
    status: {
      phase: pod.phase,
      containerStatuses: [
        {
          name: pod.container,
          image: pod.image,
          ready: pod.phase === 'Running',
          restartCount: 0,
          state,
          ...(pod.containerId === undefined ? {} : { containerID: `docker://${pod.containerId}` }),
        },
      ],
    },
  };
}

function podObject(pod: HarnessPod): Record<string, unknown> {
  const { revision, replica } = pod;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: replica.podName,
      namespace: pod.namespace,
      labels: revision.labels,
      creationTimestamp: new Date(replica.startedAt).toISOString(),
    },
    spec: { containers: [{ name: USER_CONTAINER, image: revision.image, ports: [{ containerPort: revision.port }] }] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: USER_CONTAINER,
          image: revision.image,
          ready: replica.ready,
          restartCount: replica.restarts,
          containerID: `docker://${replica.id}`,
        },
      ],
    },
  };
}

async function streamLog(
  pod: { name: string; container: string; containerId: string | undefined },
  containers: ContainerRuntime,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const container = url.searchParams.get('container') ?? pod.container;
  if (container !== pod.container) throw badRequest(`container ${container} is not valid for pod ${pod.name}`);
  if (pod.containerId === undefined)
    throw badRequest(`container "${container}" in pod "${pod.name}" is waiting to start: ContainerCreating`);
  const tailText = url.searchParams.get('tailLines');
  if (tailText !== null && !/^\d+$/.test(tailText))
    throw badRequest(`tailLines: Invalid value: "${tailText}": must be a non-negative integer`);
  const follow = flag(url, 'follow');
  const sinceTime = url.searchParams.get('sinceTime');
  const since = sinceTime === null ? undefined : Date.parse(sinceTime);
  if (since !== undefined && Number.isNaN(since)) throw badRequest(`sinceTime: Invalid value: "${sinceTime}": must be an RFC3339 time`);
  const stream = await containers.logs(pod.containerId, {
    follow,
    timestamps: flag(url, 'timestamps'),
    ...(since === undefined ? {} : { since: Math.floor(since / 1000) }),
    ...(tailText === null ? {} : { tail: Number(tailText) }),
  });
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  const stop = () => stream.destroy();
  req.on('close', stop);
  stream.on('data', (chunk: Buffer) => res.write(chunk));
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  req.off('close', stop);
  res.end();
}

function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  if (value === null || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1' || value === '') return true;
  throw badRequest(`${name}: Invalid value: "${value}": must be true or false`);
}
