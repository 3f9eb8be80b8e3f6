import { ListWatch, Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KnativeClient } from './kube-client.js';
import type { KnativeObject } from './knative-service.js';

/**
 * Keeps the namespace's function Services in memory, for invocations (which must not read the API on every
 * call), with client-node's informer: it lists, watches from the list's resource version, watches again when a
 * watch ends and lists again after a 410 Gone. It stops on any other error; it is started again after a backoff.
 * The driver's own writes are kept beside the informer's objects until the watch reports them, so that a call
 * right after a deploy or a removal does not see the older object.
 */
export class ServiceWatch {
  private readonly informer: ListWatch<KnativeObject>;
  /** Objects the driver wrote (`null`: removed) that the watch has not reported yet. */
  private readonly written = new Map<string, KnativeObject | null>();
  private stopped = false;
  private retryMs = 250;
  private retry: NodeJS.Timeout | undefined;
  private synced: Promise<void> | undefined;

  constructor(
    private readonly client: KnativeClient,
    labelSelector: string,
    timeoutSeconds: number,
  ) {
    // makeInformer's ListWatch, with a watch that asks for a server-side timeout (client-node sets none).
    const watch = new TimedWatch(client.config, timeoutSeconds);
    this.informer = new ListWatch(client.servicesPath, watch, () => client.listServices(labelSelector), false, labelSelector);
    this.informer.on('add', (object) => this.reported(object, false));
    this.informer.on('update', (object) => this.reported(object, false));
    this.informer.on('delete', (object) => this.reported(object, true));
    this.informer.on('error', () => this.restart());
  }

  /** Starts the informer; resolves once its first list is in memory, or has failed (a retry is then scheduled). */
  start(): Promise<void> {
    this.synced ??= this.informer.start();
    return this.synced;
  }

  get(name: string): KnativeObject | undefined {
    const seen = this.informer.get(name, this.client.namespace);
    const written = this.written.get(name);
    if (written === undefined) return seen;
    if (written === null) return undefined;
    return seen !== undefined && newer(seen, written) ? seen : written;
  }

  /** Records an object the driver just wrote or read, unless the cache already holds a newer one. */
  remember(object: KnativeObject): void {
    const current = this.get(object.metadata.name);
    if (current === undefined || newer(object, current)) this.written.set(object.metadata.name, object);
  }

  forget(name: string): void {
    this.written.set(name, null);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    void this.informer.stop();
  }

  /** Drops the driver's own copy once the watch reports the same object, a newer one, or its removal. */
  private reported(object: KnativeObject, deleted: boolean): void {
    const name = object.metadata.name;
    const written = this.written.get(name);
    if (written === undefined) return;
    if (written === null ? deleted : deleted || newer(object, written)) this.written.delete(name);
  }

  private restart(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    this.retry = setTimeout(() => {
      if (this.stopped) return;
      const failuresBefore = this.retryMs;
      void this.informer.start().then(() => {
        // Started without a new error: the next failure starts again from the shortest delay.
        if (this.retryMs === failuresBefore) this.retryMs = 250;
      });
    }, delay);
    this.retry.unref();
  }
}

/** A watch that ends itself after `timeoutSeconds` and asks for bookmarks, so a dead connection is not kept. */
class TimedWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly timeoutSeconds: number,
  ) {
    super(config);
  }

  override watch(...[path, query, callback, done]: Parameters<Watch['watch']>): Promise<AbortController> {
    return super.watch(path, { ...query, timeoutSeconds: this.timeoutSeconds, allowWatchBookmarks: true }, callback, done);
  }
}

function newer(a: KnativeObject, b: KnativeObject): boolean {
  const x = Number(a.metadata.resourceVersion);
  const y = Number(b.metadata.resourceVersion);
  // Resource versions are opaque; compare them only when both are numbers (as etcd's are).
  return Number.isFinite(x) && Number.isFinite(y) ? x >= y : true;
}
