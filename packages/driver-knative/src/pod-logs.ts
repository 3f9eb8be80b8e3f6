import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { ApiException, CoreV1Api, Log } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { BackendError } from '@dispatch/core/driver';
import type { LogLine, LogOptions } from '@dispatch/core/driver';

/** The container Knative names `user-container` when the Service's container has no name (the driver gives none). */
const USER_CONTAINER = 'user-container';
/** The label Knative puts on every pod of a Service's revisions. */
const SERVICE_LABEL = 'serving.knative.dev/service';
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (.*)$/;

/**
 * A function's log lines, read from its pods (`pods/log`, with timestamps): the last `tail` lines of each pod,
 * then, with `follow`, new lines as they come until `signal` aborts. The API merges stdout and stderr, so every
 * line is reported as `stdout`; `source` names the pod. Pods that start while following are not picked up.
 * `tail: 0` means the lines printed from `startedAt` on (when the caller asked).
 */
export async function* podLogs(
  config: KubeConfig,
  namespace: string,
  name: string,
  options: LogOptions = {},
  startedAt = Date.now(),
): AsyncIterable<LogLine> {
  const core = config.makeApiClient(CoreV1Api);
  let pods;
  try {
    pods = (await core.listNamespacedPod({ namespace, labelSelector: `${SERVICE_LABEL}=${name}` })).items;
  } catch (error) {
    throw apiError(error, `listing the pods of "${name}"`);
  }
  const queue: LogLine[] = [];
  let wake: (() => void) | undefined;
  let open = 0;
  let failure: Error | undefined;
  const aborts: AbortController[] = [];
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const log = new Log(config);
  for (const pod of pods) {
    const podName = pod.metadata?.name;
    if (podName === undefined) continue;
    const output = new PassThrough();
    open++;
    const lines = createInterface({ input: output, crlfDelay: Infinity });
    lines.on('line', (text: string) => {
      const match = TIMESTAMP.exec(text);
      const time = match ? Date.parse(match[1] as string) : Date.now();
      // sinceTime has a resolution of seconds: lines of the second before the call are dropped here.
      if (options.tail === 0 && time < startedAt) return;
      queue.push({ time, stream: 'stdout', line: match ? (match[2] as string) : text, source: podName });
      notify();
    });
    lines.on('close', () => {
      open--;
      notify();
    });
    try {
      aborts.push(
        await log.log(namespace, podName, USER_CONTAINER, output, {
          follow: options.follow === true,
          timestamps: true,
          // client-node drops `tailLines: 0`; no lines from before now is asked for as since-now instead.
          ...(options.tail === undefined || options.tail === 0 ? {} : { tailLines: options.tail }),
          ...(options.tail === 0 ? { sinceTime: new Date(Math.floor(startedAt / 1000) * 1000).toISOString() } : {}),
        }),
      );
    } catch (error) {
      output.end();
      failure = apiError(error, `reading the logs of pod "${podName}"`);
    }
  }
  const stop = () => {
    for (const abort of aborts) abort.abort();
    notify();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift() as LogLine;
      if (failure !== undefined) throw failure;
      if (open === 0 || options.signal?.aborted) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    for (const abort of aborts) abort.abort();
  }
}

function apiError(error: unknown, doing: string): BackendError {
  const detail = error instanceof ApiException ? `HTTP ${error.code}: ${String(error.body).slice(0, 200)}` : (error as Error).message;
  return new BackendError(`[knative] ${doing}: ${detail}`, { cause: error });
}
