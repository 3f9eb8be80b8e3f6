import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ContainerRuntime } from './container-runtime.js';
import type { KubeObject, ObjectStore } from './object-store.js';
import { isObject } from './patch.js';

/** A pod the job runner started for a Job, served by the pods API. */
export interface JobPod {
  name: string;
  namespace: string;
  jobUid: string;
  labels: Record<string, string>;
  container: string;
  image: string;
  containerId?: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  startedAt: string;
  exitCode?: number;
  /** Why a pending pod waits, as the kubelet says it: ContainerCreating (a missing volume source), ErrImagePull. */
  waiting?: { reason: string; message: string };
}

interface JobState {
  pods: JobPod[];
  failed: number;
  startTime: string;
  finished: boolean;
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}

/** Options of the {@link JobRunner}. */
export interface JobRunnerOptions {
  jobs: ObjectStore;
  configMaps: ObjectStore;
  secrets: ObjectStore;
  containers: ContainerRuntime;
  containerPrefix: string;
  intervalMs?: number;
  /** Host binds every Job pod gets besides its volumes, as a node's runtime configuration would add them. */
  podBinds?: string[];
}

/**
 * The Job controller and kubelet of the harness, for batch/v1 Jobs: each Job's pod runs as one container on the
 * Docker engine (its ConfigMap and Secret volumes written to a folder and bound in), a failed pod is replaced up to
 * `backoffLimit`, `activeDeadlineSeconds` stops it, and the Job's status says so as the Job controller does
 * (`active`, `succeeded`, `failed`, `startTime`, `completionTime`, conditions Complete or Failed with their reasons).
 * One completion, no parallelism, restartPolicy Never (OnFailure pods are replaced as well). It is a harness: what
 * it runs is the real image, what it reports follows the Job API's documented fields.
 */
export class JobRunner {
  private readonly states = new Map<string, JobState>();
  private readonly timer: NodeJS.Timeout;
  private busy = false;
  private folder: Promise<string> | undefined;

  constructor(private readonly options: JobRunnerOptions) {
    this.timer = setInterval(() => void this.tick(), options.intervalMs ?? 250);
  }

  /** The pods of the Jobs in `namespace` (all namespaces when undefined). */
  pods(namespace: string | undefined): JobPod[] {
    return [...this.states.values()].flatMap((state) => state.pods).filter((pod) => namespace === undefined || pod.namespace === namespace);
  }

  /** A deleted Job's pods go with it unless the deletion orphans them (then they stay until the harness closes). */
  jobDeleted(job: KubeObject, propagationPolicy: string): void {
    const state = this.states.get(job.metadata.uid);
    if (state === undefined) return;
    state.finished = true;
    if (propagationPolicy === 'Orphan') return;
    this.states.delete(job.metadata.uid);
    for (const pod of state.pods)
      if (pod.containerId !== undefined) void this.options.containers.remove(pod.containerId).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.folder !== undefined) await rm(await this.folder, { recursive: true, force: true });
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const job of this.options.jobs.list(undefined, () => true).items) await this.reconcile(job);
    } catch {
      // A failed pass (the engine busy) is tried again on the next tick.
    } finally {
      this.busy = false;
    }
  }

  private async reconcile(job: KubeObject): Promise<void> {
    const spec = job.spec ?? {};
    let state = this.states.get(job.metadata.uid);
    if (state === undefined) {
      state = { pods: [], failed: 0, startTime: now(), finished: false };
      this.states.set(job.metadata.uid, state);
    }
    if (state.finished) return;
    const current = state.pods.at(-1);
    if (current !== undefined && current.containerId !== undefined) {
      const ended = await this.options.containers.state(current.containerId);
      if (ended !== undefined && !ended.running) {
        current.exitCode = ended.exitCode;
        current.phase = ended.exitCode === 0 ? 'Succeeded' : 'Failed';
        if (ended.exitCode === 0)
          return this.finish(job, state, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
        state.failed++;
        if (state.failed > Number(spec.backoffLimit ?? 6)) {
          return this.finish(job, state, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
        }
      }
    }
    const deadline = typeof spec.activeDeadlineSeconds === 'number' ? spec.activeDeadlineSeconds * 1000 : undefined;
    if (deadline !== undefined && Date.now() - Date.parse(state.startTime) > deadline) {
      if (current?.containerId !== undefined && current.phase === 'Running') {
        await this.options.containers.stop(current.containerId);
        current.phase = 'Failed';
        state.failed++;
      }
      return this.finish(job, state, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
    }
    if (current === undefined || current.phase === 'Failed') await this.startPod(job, state);
    else if (current.phase === 'Pending') await this.runPod(job, current);
    this.options.jobs.updateStatus(job.metadata.namespace, job.metadata.name, {
      startTime: state.startTime,
      active: 1,
      ...(state.failed > 0 ? { failed: state.failed } : {}),
      ready: state.pods.at(-1)?.phase === 'Running' ? 1 : 0,
      terminating: 0,
      uncountedTerminatedPods: {},
    });
  }

  private finish(job: KubeObject, state: JobState, type: 'Complete' | 'Failed', reason: string, message: string): void {
    state.finished = true;
    const time = now();
    // Since Kubernetes 1.31 the controller sets SuccessCriteriaMet / FailureTarget before Complete / Failed.
    const target = type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
    const condition = (kind: string) => ({ type: kind, status: 'True', reason, message, lastProbeTime: time, lastTransitionTime: time });
    this.options.jobs.updateStatus(job.metadata.namespace, job.metadata.name, {
      startTime: state.startTime,
      ...(type === 'Complete' ? { completionTime: time, succeeded: 1 } : {}),
      ...(state.failed > 0 ? { failed: state.failed } : {}),
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
      conditions: [condition(target), condition(type)],
    });
  }

  private async startPod(job: KubeObject, state: JobState): Promise<void> {
    const template = isObject(job.spec?.template) ? job.spec.template : {};
    const labels =
      isObject(template.metadata) && isObject(template.metadata.labels) ? (template.metadata.labels as Record<string, string>) : {};
    const container = (isObject(template.spec) ? (template.spec.containers as Container[] | undefined) : undefined)?.[0];
    if (container === undefined) return;
    const pod: JobPod = {
      name: `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
      namespace: job.metadata.namespace,
      jobUid: job.metadata.uid,
      labels: { ...labels, 'batch.kubernetes.io/controller-uid': job.metadata.uid, 'controller-uid': job.metadata.uid },
      container: container.name,
      image: container.image,
      phase: 'Pending',
      startedAt: now(),
    };
    state.pods.push(pod);
    await this.runPod(job, pod);
  }

  /** Mounts the pod's volumes and starts its container; a pod whose volume or image is missing stays Pending. */
  private async runPod(job: KubeObject, pod: JobPod): Promise<void> {
    const template = job.spec?.template as { spec: { containers: Container[]; volumes?: Volume[] } };
    const container = template.spec.containers[0] as Container;
    const binds: string[] = [...(this.options.podBinds ?? [])];
    for (const mount of container.volumeMounts ?? []) {
      const volume = template.spec.volumes?.find((candidate) => candidate.name === mount.name);
      const files = volume === undefined ? undefined : this.volumeFiles(pod.namespace, volume);
      if (files === undefined) {
        pod.waiting = { reason: 'ContainerCreating', message: `MountVolume.SetUp failed for volume "${mount.name}"` };
        return;
      }
      const folder = join(await this.root(), pod.name, mount.name);
      for (const [path, content] of files) {
        await mkdir(dirname(join(folder, path)), { recursive: true });
        await writeFile(join(folder, path), content, { mode: 0o644 });
      }
      await mkdir(folder, { recursive: true });
      binds.push(`${folder}:${mount.mountPath}:ro`);
    }
    const image = await this.options.containers.ensureImage(container.image);
    if (!image.ok) {
      pod.waiting = { reason: 'ErrImagePull', message: image.reason };
      return;
    }
    delete pod.waiting;
    pod.containerId = await this.options.containers.startPodContainer({
      name: `${this.options.containerPrefix}-${pod.name}`,
      image: container.image,
      env: Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value ?? ''])),
      ...(container.command === undefined ? {} : { command: container.command }),
      ...(container.args === undefined ? {} : { args: container.args }),
      ...(container.workingDir === undefined ? {} : { workingDir: container.workingDir }),
      labels: {},
      binds,
    });
    pod.phase = 'Running';
  }

  /** The files of a ConfigMap or Secret volume (all keys, or the listed items), or undefined when its source is missing. */
  private volumeFiles(namespace: string, volume: Volume): Map<string, Buffer> | undefined {
    const source = volume.configMap ?? volume.secret;
    const sourceName = volume.configMap?.name ?? volume.secret?.secretName;
    if (source === undefined || sourceName === undefined) return undefined;
    const store = volume.configMap !== undefined ? this.options.configMaps : this.options.secrets;
    const object = store.find(namespace, sourceName);
    if (object === undefined) return undefined;
    const all = new Map<string, Buffer>();
    const add = (map: unknown, encoded: boolean) => {
      if (!isObject(map)) return;
      for (const [key, value] of Object.entries(map)) all.set(key, Buffer.from(String(value), encoded ? 'base64' : 'utf8'));
    };
    add(object.data, volume.secret !== undefined);
    add(object.binaryData, true);
    if (source.items === undefined) return all;
    const files = new Map<string, Buffer>();
    for (const item of source.items) {
      const content = all.get(item.key);
      if (content === undefined) return undefined;
      files.set(item.path, content);
    }
    return files;
  }

  private root(): Promise<string> {
    this.folder ??= mkdtemp(join(tmpdir(), 'dispatch-kube-harness-volumes-'));
    return this.folder;
  }
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
