import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { Log } from '@kubernetes/client-node';
import type { BatchV1Api, CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';

const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);

/** How a build Job ended: its Failed condition's reason and the build log's last lines when it failed. */
export interface JobOutcome {
  succeeded: boolean;
  reason: string;
  lastLines: string[];
}

interface FollowOptions {
  config: KubeConfig;
  batch: BatchV1Api;
  core: CoreV1Api;
  namespace: string;
  name: string;
  pollMs: number;
  /** When the driver stops waiting (ms since the epoch). */
  deadline: number;
  keepLines: number;
  onLine(line: string): void;
}

/**
 * Follows a Job to its end: its status (conditions Complete or Failed, read every `pollMs`) and, once its pod's
 * container has started, the pod's log (`pods/log`, follow), each line to `onLine`, the last `keepLines` kept.
 * A pod that never starts (an image that cannot be pulled, a missing volume) leaves its waiting reason instead.
 */
export async function followJobPod(options: FollowOptions): Promise<JobOutcome> {
  const { batch, core, namespace, name } = options;
  const lastLines: string[] = [];
  let logging: { abort?: AbortController; done: Promise<void> } | undefined;
  let waiting: string | undefined;
  try {
    for (;;) {
      if (Date.now() > options.deadline) return { succeeded: false, reason: 'the build outlived its deadline', lastLines };
      const job = await batch.readNamespacedJob({ name, namespace });
      const conditions = job.status?.conditions ?? [];
      const ended = conditions.find(
        (condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
      );
      if (logging === undefined) {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` });
        const pod = pods.items.at(-1);
        const state = pod?.status?.containerStatuses?.[0]?.state;
        if (pod !== undefined && (state?.running !== undefined || state?.terminated !== undefined))
          logging = streamLog(options, pod, lastLines);
        else if (state?.waiting !== undefined) {
          waiting = [state.waiting.reason, state.waiting.message].filter(Boolean).join(': ');
          // The Job would wait for its deadline on an image that cannot be pulled: say so now.
          if (PULL_FAILURES.has(state.waiting.reason ?? ''))
            return { succeeded: false, reason: 'the builder image cannot be pulled', lastLines: [waiting] };
        }
      }
      if (ended !== undefined) {
        // The log ends with the container: wait for its last lines, not for ever.
        if (logging !== undefined) await Promise.race([logging.done, sleep(5000)]);
        if (ended.type === 'Complete') return { succeeded: true, reason: 'Complete', lastLines };
        if (lastLines.length === 0 && waiting !== undefined) lastLines.push(waiting);
        return { succeeded: false, reason: [ended.reason, ended.message].filter(Boolean).join(': ') || 'Failed', lastLines };
      }
      await sleep(options.pollMs);
    }
  } finally {
    logging?.abort?.abort();
  }
}

function streamLog(options: FollowOptions, pod: V1Pod, lastLines: string[]): { abort?: AbortController; done: Promise<void> } {
  const output = new PassThrough();
  const lines = createInterface({ input: output, crlfDelay: Infinity });
  const done = new Promise<void>((resolve) => lines.once('close', resolve));
  lines.on('line', (line: string) => {
    if (line.trim() === '') return;
    lastLines.push(line);
    if (lastLines.length > options.keepLines) lastLines.shift();
    options.onLine(line);
  });
  const handle: { abort?: AbortController; done: Promise<void> } = { done };
  const container = pod.spec?.containers[0]?.name ?? 'build';
  new Log(options.config)
    .log(options.namespace, pod.metadata?.name ?? '', container, output, { follow: true, pretty: false, timestamps: false })
    .then((abort) => {
      handle.abort = abort;
    })
    .catch(() => output.end());
  return handle;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
