import type { KnativeClient } from './kube-client.js';
import type { KnativeObject } from './knative-service.js';

/**
 * Keeps the namespace's function Services in memory from a list and a watch, for invocations (which must
 * not read the API on every call). A watch ends after `timeoutSeconds` (client-node has no client-side
 * timeout): it is started again from the last resource version, and from a fresh list after a 410 or error.
 */
export class ServiceWatch {
  private readonly services = new Map<string, KnativeObject>();
  private resourceVersion: string | undefined;
  private controller: AbortController | undefined;
  private stopped = false;
  private retryMs = 250;
  private synced: Promise<void> | undefined;

  constructor(
    private readonly client: KnativeClient,
    private readonly labelSelector: string,
    private readonly timeoutSeconds: number,
  ) {}

  /** Starts the first list and watch; resolves once the cache holds the list. */
  start(): Promise<void> {
    this.synced ??= this.relist().catch(() => this.schedule());
    return this.synced;
  }

  get(name: string): KnativeObject | undefined {
    return this.services.get(name);
  }

  /** Records an object the driver just wrote or read, unless the cache already holds a newer one. */
  remember(object: KnativeObject): void {
    const current = this.services.get(object.metadata.name);
    if (current === undefined || newer(object, current)) this.services.set(object.metadata.name, object);
  }

  forget(name: string): void {
    this.services.delete(name);
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  private async relist(): Promise<void> {
    const list = await this.client.listServices(this.labelSelector);
    this.services.clear();
    for (const item of list.items) this.services.set(item.metadata.name, item);
    this.resourceVersion = list.metadata.resourceVersion;
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    this.controller = await this.client.watchServices(
      {
        labelSelector: this.labelSelector,
        timeoutSeconds: this.timeoutSeconds,
        ...(this.resourceVersion === undefined ? {} : { resourceVersion: this.resourceVersion }),
      },
      (type, object) => {
        if (type === 'ERROR') {
          expired = true;
          return;
        }
        const version = object.metadata?.resourceVersion;
        if (version !== undefined) this.resourceVersion = version;
        if (type === 'BOOKMARK') return;
        if (type === 'DELETED') this.services.delete(object.metadata.name);
        else this.remember(object);
      },
      (error) => {
        if (this.stopped) return;
        if (error !== null && error !== undefined) expired = true;
        if (expired) this.resourceVersion = undefined;
        this.schedule(expired);
      },
    );
    this.retryMs = 250;
  }

  private schedule(relist = true): void {
    if (this.stopped) return;
    const delay = relist ? this.retryMs : 0;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    setTimeout(() => {
      const next = relist || this.resourceVersion === undefined ? this.relist() : this.watch();
      next.catch(() => this.schedule(true));
    }, delay).unref();
  }
}

function newer(a: KnativeObject, b: KnativeObject): boolean {
  const x = Number(a.metadata.resourceVersion);
  const y = Number(b.metadata.resourceVersion);
  // Resource versions are opaque; compare them only when both are numbers (as etcd's are).
  return Number.isFinite(x) && Number.isFinite(y) ? x >= y : true;
}
