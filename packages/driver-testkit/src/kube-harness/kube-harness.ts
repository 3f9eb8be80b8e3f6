import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { handleApiRequest } from './api-server.js';
import type { ApiServerState } from './api-server.js';
import { ContainerRuntime } from './container-runtime.js';
import type { PullCredentials } from './container-runtime.js';
import { knativeServiceSchema } from './crd-schema.js';
import { createIngress } from './ingress.js';
import { ObjectStore, ResourceVersionClock } from './object-store.js';
import { Reconciler } from './reconciler.js';
import { JobRunner } from './job-runner.js';

/** Options of {@link startKubeHarness}. */
export interface KubeHarnessOptions {
  /** The Docker engine that runs the Services' containers; default: DOCKER_HOST or the local socket. */
  docker?: Docker;
  /** The API's port on 127.0.0.1; default: any free port. */
  port?: number;
  /** The ingress's port on 127.0.0.1; default: any free port. */
  ingressPort?: number;
  /** The domain of Service URLs (`http://<name>.<namespace>.<domain>`); default `example.com`. */
  domain?: string;
  /** How long a revision may take to become ready before ProgressDeadlineExceeded; default 120 s. */
  progressDeadlineMs?: number;
  /** Milliseconds between reconcile passes; default 200. */
  reconcileIntervalMs?: number;
  /** false: serve the API only, run nothing (no Docker needed); default true. */
  reconcile?: boolean;
  /** The registry logins the harness's "nodes" pull images with, by registry `host[:port]`. */
  pullCredentials?: PullCredentials;
  /**
   * Host binds (`/host/path:/container/path`) every Job pod gets besides its volumes, as a node's runtime
   * configuration could add them: a test's stand-in builder image uses the Docker socket this way.
   */
  jobPodBinds?: string[];
}

/** A running harness. */
export interface KubeHarness {
  /** The API server's URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** A kubeconfig file whose current context points at the harness (namespace `default`). */
  kubeconfigPath: string;
  /** The ingress: call it with the Host of a Service's `status.url`. */
  ingressUrl: string;
  /** The bearer token the API requires (it is in the kubeconfig). */
  token: string;
  /** Forgets the watch history, so that a watch from an older resource version gets 410 Gone. */
  compact(): void;
  /** Stops the servers and removes every container the harness started. */
  close(): Promise<void>;
}

/**
 * Starts the Kubernetes API test harness: an HTTP server speaking the parts of the Kubernetes API that the
 * knative driver uses, for `serving.knative.dev/v1` Services (and read-only Revisions, and the pods its containers
 * stand for, with their logs), batch/v1 Jobs with the ConfigMaps and Secrets they mount (checked against
 * Kubernetes' own schema, their pods run on Docker), with a reconciler
 * that runs each Service on the real Docker engine and an ingress that routes by Host. It is a test
 * harness, not Knative: it checks what an API server and Knative's webhooks check, and reports status
 * the way Knative does, so that a driver passing against it behaves on a cluster.
 */
export async function startKubeHarness(options: KubeHarnessOptions = {}): Promise<KubeHarness> {
  const docker = options.docker ?? new Docker();
  const harnessId = randomBytes(4).toString('hex');
  const clock = new ResourceVersionClock();
  const schema = knativeServiceSchema();
  const services = new ObjectStore(
    { group: 'serving.knative.dev', plural: 'services', apiVersion: 'serving.knative.dev/v1', kind: 'Service' },
    clock,
  );
  const revisions = new ObjectStore(
    { group: 'serving.knative.dev', plural: 'revisions', apiVersion: 'serving.knative.dev/v1', kind: 'Revision' },
    clock,
  );
  const workloadStore = (group: string, version: string, plural: string, kind: string) =>
    new ObjectStore({ group, plural, apiVersion: group === '' ? version : `${group}/${version}`, kind }, clock);
  const jobs = workloadStore('batch', 'v1', 'jobs', 'Job');
  const configMaps = workloadStore('', 'v1', 'configmaps', 'ConfigMap');
  const secrets = workloadStore('', 'v1', 'secrets', 'Secret');
  const token = randomBytes(16).toString('hex');
  const state: ApiServerState = {
    services,
    revisions,
    schema,
    token,
    user: 'dispatch-harness-user',
    watches: new Set<ServerResponse>(),
    workloads: { jobs, configMaps, secrets },
  };
  const containers = new ContainerRuntime(docker, harnessId, options.pullCredentials);
  const reconciler =
    options.reconcile === false
      ? undefined
      : new Reconciler({
          services,
          revisions,
          containers,
          domain: options.domain ?? 'example.com',
          progressDeadlineMs: options.progressDeadlineMs ?? 120_000,
          containerPrefix: `kube-harness-${harnessId}`,
          intervalMs: options.reconcileIntervalMs,
        });
  state.containers = containers;
  if (reconciler !== undefined) {
    state.reconciler = reconciler;
    state.workloads.runner = new JobRunner({
      jobs,
      configMaps,
      secrets,
      containers,
      containerPrefix: `kube-harness-${harnessId}`,
      ...(options.jobPodBinds === undefined ? {} : { podBinds: options.jobPodBinds }),
    });
  }
  const api = createServer((req, res) => void handleApiRequest(state, req, res));
  const ingress = reconciler === undefined ? createServer((_req, res) => res.writeHead(404).end()) : createIngress(reconciler);
  const apiPort = await listen(api, options.port ?? 0);
  const ingressPort = await listen(ingress, options.ingressPort ?? 0);
  const url = `http://127.0.0.1:${apiPort}`;
  const directory = await mkdtemp(join(tmpdir(), 'dispatch-kube-harness-'));
  const kubeconfigPath = join(directory, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig(url, token), { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    ingressUrl: `http://127.0.0.1:${ingressPort}`,
    token,
    compact() {
      services.compact();
      revisions.compact();
    },
    async close() {
      for (const watch of state.watches) watch.end();
      await reconciler?.close();
      await state.workloads.runner?.close();
      await Promise.all([stop(api), stop(ingress)]);
      if (reconciler !== undefined) await containers.removeAll();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function kubeconfig(server: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: dispatch-kube-harness',
    '    cluster:',
    `      server: ${server}`,
    // The harness speaks plain HTTP on loopback; client-node only allows that with TLS checks off.
    '      insecure-skip-tls-verify: true',
    'users:',
    '  - name: dispatch-harness-user',
    '    user:',
    `      token: ${token}`,
    'contexts:',
    '  - name: dispatch-kube-harness',
    '    context:',
    '      cluster: dispatch-kube-harness',
    '      user: dispatch-harness-user',
    '      namespace: default',
    'current-context: dispatch-kube-harness',
    '',
  ].join('\n');
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
