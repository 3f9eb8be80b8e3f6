// Longer than most files on purpose: the reconcile loop (Service → Configuration → Revision → Route, and their
// conditions) is one state machine, read best in one place; its parts (conditions, selectors, runtime) live apart.
import { request } from 'node:http';
import { connect } from 'node:net';
import { conditions } from './conditions.js';
import type { ConditionState } from './conditions.js';
import type { ContainerRuntime } from './container-runtime.js';
import { parseLabelSelector } from './label-selector.js';
import type { KubeObject, ObjectStore } from './object-store.js';
import { stableJson } from './object-store.js';
import { revisionFromTemplate } from './revision-runtime.js';
import type { Replica, RevisionRuntime } from './revision-runtime.js';

/** Settings of the reconciler. */
export interface ReconcilerOptions {
  services: ObjectStore;
  revisions: ObjectStore;
  containers: ContainerRuntime;
  /** The domain of `status.url`: `http://<name>.<namespace>.<domain>`. */
  domain: string;
  /** A revision not ready after this long fails with ProgressDeadlineExceeded (Knative: 10 minutes). */
  progressDeadlineMs: number;
  /** Prefix of container names, unique per harness. */
  containerPrefix: string;
  intervalMs?: number;
}

/** What the reconciler keeps about one Service. */
interface ServiceRuntime {
  namespace: string;
  name: string;
  uid: string;
  revisions: RevisionRuntime[];
  nextNumber: number;
}

/** Where the ingress sends a request for a host: the ready replicas of the Service's serving revision. */
/** A replica seen as the pod it stands for. */
export interface HarnessPod {
  namespace: string;
  revision: RevisionRuntime;
  replica: Replica;
}

export interface Backend {
  revision: RevisionRuntime;
  replicas: Replica[];
}

const CONTAINER_LOG_LINES = 5;

/**
 * Plays Knative Serving's controllers for the harness: every change of a Service's template makes a new
 * Revision, whose replicas run as containers on the Docker engine; once they answer the readiness probe,
 * traffic moves to it and the previous revision's containers are removed. `status` is filled in as
 * Knative does (conditions, observedGeneration, latest revisions, url, address, traffic), and a revision
 * that cannot start fails with Knative's reasons: ContainerMissing, ExitCode<N>, ProgressDeadlineExceeded.
 */
export class Reconciler {
  private readonly runtimes = new Map<string, ServiceRuntime>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly options: ReconcilerOptions) {
    this.timer = setInterval(() => this.kick(), options.intervalMs ?? 200);
    this.unsubscribe = options.services.watch(
      undefined,
      () => true,
      undefined,
      () => this.kick(),
    );
  }

  /** Runs a reconcile pass soon (one at a time; a kick during a pass runs another after it). */
  kick(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => console.error('kube harness: reconcile failed:', error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** The ready replicas serving a host (`<name>.<namespace>.<domain>`, `<name>.<namespace>.svc.cluster.local`, …). */
  backendFor(host: string): Backend | 'unknown-host' | 'no-revision' {
    const hostname = host.replace(/:\d+$/, '').toLowerCase();
    for (const runtime of this.runtimes.values()) {
      const base = `${runtime.name}.${runtime.namespace}`;
      const names = [`${base}.${this.options.domain}`, `${base}.svc.cluster.local`, `${base}.svc`, base];
      if (!names.includes(hostname)) continue;
      const revision = runtime.revisions.find((candidate) => candidate.phase === 'ready');
      if (revision === undefined) return 'no-revision';
      return { revision, replicas: revision.replicas.filter((replica) => replica.ready && replica.hostPort !== undefined) };
    }
    return 'unknown-host';
  }

  /** The pods the running replicas stand for, in a namespace (all namespaces when undefined). */
  pods(namespace: string | undefined): HarnessPod[] {
    const pods: HarnessPod[] = [];
    for (const runtime of this.runtimes.values()) {
      if (namespace !== undefined && runtime.namespace !== namespace) continue;
      for (const revision of runtime.revisions) {
        if (revision.phase === 'retired') continue;
        for (const replica of revision.replicas) pods.push({ namespace: runtime.namespace, revision, replica });
      }
    }
    return pods;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    await this.running;
  }

  private async pass(): Promise<void> {
    const { services } = this.options;
    const current = services.list(undefined, parseLabelSelector('')).items;
    const seen = new Set<string>();
    for (const service of current) {
      const key = `${service.metadata.namespace}/${service.metadata.name}`;
      seen.add(key);
      let runtime = this.runtimes.get(key);
      if (runtime !== undefined && runtime.uid !== service.metadata.uid) {
        await this.teardown(runtime);
        runtime = undefined;
      }
      if (runtime === undefined) {
        runtime = {
          namespace: service.metadata.namespace,
          name: service.metadata.name,
          uid: service.metadata.uid,
          revisions: [],
          nextNumber: 1,
        };
        this.runtimes.set(key, runtime);
      }
      await this.reconcile(runtime, service);
    }
    for (const [key, runtime] of this.runtimes) {
      if (!seen.has(key)) {
        this.runtimes.delete(key);
        await this.teardown(runtime);
      }
    }
  }

  private async reconcile(runtime: ServiceRuntime, service: KubeObject): Promise<void> {
    const templateKey = stableJson(service.spec?.template);
    let latest = runtime.revisions.at(-1);
    if (latest === undefined || latest.templateKey !== templateKey) {
      latest = revisionFromTemplate(service, runtime.nextNumber++, templateKey, this.options.progressDeadlineMs);
      runtime.revisions.push(latest);
      this.writeRevision(runtime, service, latest, true);
    }
    for (const revision of runtime.revisions) {
      if (revision.phase === 'pending') await this.advance(revision, revision === latest);
      else if (revision.phase === 'ready') await this.maintain(revision);
    }
    // Traffic goes to the newest ready revision; the ones before it are scaled to zero.
    const serving = runtime.revisions.findLast((revision) => revision.phase === 'ready');
    for (const revision of runtime.revisions) {
      const superseded = revision !== latest && revision.phase === 'pending';
      if (superseded || (revision.phase === 'ready' && revision !== serving)) {
        await this.stopReplicas(revision);
        revision.phase = 'retired';
      }
    }
    for (const revision of runtime.revisions) this.writeRevision(runtime, service, revision, false);
    this.writeServiceStatus(runtime, service, latest, serving);
  }

  /** Starts a pending revision's containers, probes them, and fails the revision when Knative would. */
  private async advance(revision: RevisionRuntime, isLatest: boolean): Promise<void> {
    if (!isLatest) return;
    const { containers } = this.options;
    if (revision.replicas.length === 0) {
      const image = await containers.ensureImage(revision.image);
      if (!image.ok) {
        return this.fail(
          revision,
          'ContainerMissing',
          `Unable to fetch image "${revision.image}": failed to resolve image to digest: ${revision.image}: ${image.reason}`,
        );
      }
      for (let index = 0; index < revision.desiredReplicas; index++) {
        const id = await containers.start({
          name: `${this.options.containerPrefix}-${revision.name}-${index}-${Date.now().toString(36)}`,
          image: revision.image,
          env: revision.env,
          port: revision.port,
          ...(revision.command === undefined ? {} : { command: revision.command }),
          ...(revision.args === undefined ? {} : { args: revision.args }),
          ...(revision.workingDir === undefined ? {} : { workingDir: revision.workingDir }),
          labels: { 'serving.knative.dev/revision': revision.name },
        });
        revision.replicas.push({
          id,
          podName: `${revision.name}-deployment-${id.slice(0, 5)}-${id.slice(5, 10)}`,
          startedAt: Date.now(),
          ready: false,
          restarts: 0,
        });
      }
    }
    for (const replica of revision.replicas) {
      const state = await containers.inspect(replica.id, revision.port);
      if (state === undefined || !state.running) {
        const lines = await containers.tail(replica.id, CONTAINER_LOG_LINES);
        const exitCode = state?.exitCode ?? 137;
        return this.fail(revision, `ExitCode${exitCode}`, `Container failed with: ${lines.join('\n') || `exit code ${exitCode}`}`);
      }
      replica.hostPort = state.hostPort;
      if (!replica.ready) replica.ready = await probe(replica, revision.probePath);
    }
    if (revision.replicas.every((replica) => replica.ready)) {
      revision.phase = 'ready';
      return;
    }
    if (Date.now() - revision.createdAt > revision.progressDeadlineMs) {
      await this.fail(revision, 'ProgressDeadlineExceeded', 'Initial scale was never achieved');
    }
  }

  /** Keeps a ready revision's replicas running: a container that exited is started again, as a kubelet would. */
  private async maintain(revision: RevisionRuntime): Promise<void> {
    const { containers } = this.options;
    for (const replica of revision.replicas) {
      const state = await containers.inspect(replica.id, revision.port);
      if (state === undefined) continue;
      if (!state.running) {
        replica.ready = false;
        replica.restarts++;
        await containers.restart(replica.id).catch(() => undefined);
        continue;
      }
      replica.hostPort = state.hostPort;
      if (!replica.ready) replica.ready = await probe(replica, revision.probePath);
    }
  }

  private async fail(revision: RevisionRuntime, reason: string, message: string): Promise<void> {
    revision.phase = 'failed';
    revision.reason = reason;
    revision.message = message;
    await this.stopReplicas(revision);
  }

  private async stopReplicas(revision: RevisionRuntime): Promise<void> {
    const replicas = revision.replicas.splice(0);
    await Promise.all(replicas.map((replica) => this.options.containers.remove(replica.id)));
  }

  private async teardown(runtime: ServiceRuntime): Promise<void> {
    for (const revision of runtime.revisions) {
      await this.stopReplicas(revision);
      revision.phase = 'retired';
      try {
        this.options.revisions.delete(runtime.namespace, revision.name);
      } catch {
        // already gone
      }
    }
  }

  private writeRevision(runtime: ServiceRuntime, service: KubeObject, revision: RevisionRuntime, create: boolean): void {
    const { revisions } = this.options;
    const existing = revisions.find(runtime.namespace, revision.name);
    if (create || existing === undefined) {
      if (existing !== undefined) return;
      const template = (service.spec?.template ?? {}) as {
        metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
        spec?: Record<string, unknown>;
      };
      revisions.create(runtime.namespace, {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Revision',
        metadata: {
          name: revision.name,
          namespace: runtime.namespace,
          labels: {
            ...template.metadata?.labels,
            'serving.knative.dev/service': runtime.name,
            'serving.knative.dev/configuration': runtime.name,
            'serving.knative.dev/configurationGeneration': String(revision.number),
            'serving.knative.dev/serviceUID': runtime.uid,
          },
          annotations: { ...template.metadata?.annotations },
          ownerReferences: [
            {
              apiVersion: 'serving.knative.dev/v1',
              kind: 'Configuration',
              name: runtime.name,
              uid: runtime.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: structuredClone(template.spec ?? {}),
      });
    }
    const previous = revisions.find(runtime.namespace, revision.name)?.status;
    revisions.updateStatus(runtime.namespace, revision.name, revisionStatus(revision, previous?.conditions));
  }

  private writeServiceStatus(
    runtime: ServiceRuntime,
    service: KubeObject,
    latest: RevisionRuntime,
    serving: RevisionRuntime | undefined,
  ): void {
    const host = `${runtime.name}.${runtime.namespace}`;
    const failed = latest.phase === 'failed' ? `Revision "${latest.name}" failed with message: ${latest.message ?? ''}.` : undefined;
    const configuration: ConditionState =
      latest.phase === 'ready'
        ? { type: 'ConfigurationsReady', status: 'True' }
        : failed !== undefined
          ? { type: 'ConfigurationsReady', status: 'False', reason: 'RevisionFailed', message: failed }
          : {
              type: 'ConfigurationsReady',
              status: 'Unknown',
              reason: 'RevisionMissing',
              message: `Configuration "${runtime.name}" is waiting for a Revision to become ready.`,
            };
    const routes: ConditionState =
      serving !== undefined
        ? { type: 'RoutesReady', status: 'True' }
        : failed !== undefined
          ? { type: 'RoutesReady', status: 'False', reason: 'RevisionFailed', message: failed }
          : {
              type: 'RoutesReady',
              status: 'Unknown',
              reason: 'RevisionMissing',
              message: `Configuration "${runtime.name}" is waiting for a Revision to become ready.`,
            };
    const ready: ConditionState =
      configuration.status === 'True' && routes.status === 'True'
        ? { type: 'Ready', status: 'True' }
        : configuration.status === 'False'
          ? { ...configuration, type: 'Ready' }
          : routes.status !== 'True'
            ? { ...routes, type: 'Ready' }
            : { ...configuration, type: 'Ready' };
    const status: Record<string, unknown> = {
      observedGeneration: service.metadata.generation,
      conditions: conditions(service.status?.conditions, [configuration, ready, routes]),
      latestCreatedRevisionName: latest.name,
      url: `http://${host}.${this.options.domain}`,
      address: { url: `http://${host}.svc.cluster.local` },
    };
    if (serving !== undefined) {
      status.latestReadyRevisionName = serving.name;
      status.traffic = [{ revisionName: serving.name, latestRevision: true, percent: 100 }];
    }
    this.options.services.updateStatus(runtime.namespace, runtime.name, status);
  }
}

function revisionStatus(revision: RevisionRuntime, previous: unknown): Record<string, unknown> {
  const running = revision.replicas.filter((replica) => replica.ready).length;
  const failure =
    revision.phase === 'failed' ? { status: 'False' as const, reason: revision.reason, message: revision.message } : undefined;
  const containerFailed = failure !== undefined && revision.reason?.startsWith('ExitCode') === true;
  const state = (type: string, done: boolean, broken: boolean): ConditionState =>
    broken && failure !== undefined
      ? { type, ...failure }
      : done
        ? { type, status: 'True' }
        : { type, status: 'Unknown', reason: 'Deploying' };
  const active = revision.phase === 'ready' || revision.phase === 'retired';
  const status: Record<string, unknown> = {
    observedGeneration: 1,
    conditions: conditions(previous, [
      state('ContainerHealthy', active, containerFailed),
      state('ResourcesAvailable', active, failure !== undefined && !containerFailed),
      state('Ready', active, failure !== undefined),
    ]),
    actualReplicas: running,
    desiredReplicas: revision.phase === 'retired' ? 0 : revision.desiredReplicas,
    containerStatuses: [{ name: 'user-container', imageDigest: revision.image }],
  };
  return status;
}

/** The readiness probe: an HTTP GET of the probe's path, or a TCP connect when the probe has none. */
function probe(replica: Replica, path: string | undefined): Promise<boolean> {
  const port = replica.hostPort;
  if (port === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    if (path === undefined) {
      const socket = connect({ host: '127.0.0.1', port, timeout: 1000 }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('timeout', () => socket.destroy());
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(false));
      return;
    }
    const call = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 1000, agent: false }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    call.on('timeout', () => call.destroy());
    call.on('error', () => resolve(false));
    call.end();
  });
}
