import { randomUUID } from 'node:crypto';
import { KubeApiError, alreadyExists, conflict, notFound } from './api-errors.js';
import type { ResourceName } from './api-errors.js';
import type { LabelSelector } from './label-selector.js';

/** The metadata the harness keeps for every object (ObjectMeta's fields that matter here). */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  [field: string]: unknown;
}

/** An object of a namespaced kind, as stored and served. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** An object as a client sends it: the API server fills in uid, generation and the like. */
export type NewObject = Omit<KubeObject, 'metadata'> & { metadata: Partial<ObjectMeta> & { name: string } };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

interface RecordedEvent extends WatchEvent {
  resourceVersion: number;
}

/** One resource version counter for the whole harness, as etcd has one revision. */
export class ResourceVersionClock {
  private current = 1000;
  next(): number {
    return ++this.current;
  }
  now(): number {
    return this.current;
  }
}

const HISTORY_LIMIT = 10_000;

export interface ResourceKind extends ResourceName {
  apiVersion: string;
  kind: string;
}

/**
 * The objects of one namespaced kind, with what an API server guarantees: a resource version that grows on
 * every write, a generation that grows on every change of `spec`, uid and creation time, optimistic
 * concurrency, and a history of changes that watches replay from a resource version.
 */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: RecordedEvent[] = [];
  private readonly listeners = new Set<(event: RecordedEvent) => void>();
  /** Events before this resource version are forgotten; watching from older ones is a 410. */
  private compactedTo: number;

  constructor(
    readonly resource: ResourceKind,
    private readonly clock: ResourceVersionClock,
  ) {
    this.compactedTo = clock.now();
  }

  get(namespace: string, name: string): KubeObject {
    const object = this.objects.get(`${namespace}/${name}`);
    if (object === undefined) throw notFound(this.resource, name);
    return structuredClone(object);
  }

  find(namespace: string, name: string): KubeObject | undefined {
    const object = this.objects.get(`${namespace}/${name}`);
    return object === undefined ? undefined : structuredClone(object);
  }

  list(namespace: string | undefined, selector: LabelSelector): { items: KubeObject[]; resourceVersion: string } {
    const items = [...this.objects.values()]
      .filter((object) => (namespace === undefined || object.metadata.namespace === namespace) && selector(object.metadata.labels))
      .sort((a, b) => (a.metadata.namespace + a.metadata.name).localeCompare(b.metadata.namespace + b.metadata.name))
      .map((object) => structuredClone(object));
    return { items, resourceVersion: String(this.clock.now()) };
  }

  create(namespace: string, object: NewObject): KubeObject {
    const name = object.metadata.name;
    if (this.objects.has(`${namespace}/${name}`)) throw alreadyExists(this.resource, name);
    const stored = structuredClone(object) as KubeObject;
    stored.metadata = {
      ...stored.metadata,
      name,
      namespace,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      resourceVersion: '',
    };
    delete stored.status;
    return this.write(namespace, stored, 'ADDED');
  }

  /**
   * Replaces an object's spec and metadata (not its status, which has its own subresource). A stale or
   * missing resourceVersion is a conflict, as for every custom resource.
   */
  update(namespace: string, object: KubeObject): KubeObject {
    const name = object.metadata.name;
    const current = this.objects.get(`${namespace}/${name}`);
    if (current === undefined) throw notFound(this.resource, name);
    const expected = object.metadata.resourceVersion;
    if (expected === undefined || expected === '') {
      throw new KubeApiError(
        422,
        'Invalid',
        `${this.resource.plural}.${this.resource.group} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
      );
    }
    if (expected !== current.metadata.resourceVersion) throw conflict(this.resource, name);
    const stored = structuredClone(object);
    const specChanged = stableJson(stored.spec) !== stableJson(current.spec);
    stored.metadata = {
      ...stored.metadata,
      name,
      namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation + (specChanged ? 1 : 0),
    };
    if (current.status === undefined) delete stored.status;
    else stored.status = structuredClone(current.status);
    if (stableJson(stored) === stableJson(current)) return structuredClone(current);
    return this.write(namespace, stored, 'MODIFIED');
  }

  /** The status subresource: only `status` changes; the generation does not. */
  updateStatus(namespace: string, name: string, status: Record<string, unknown>): KubeObject | undefined {
    const current = this.objects.get(`${namespace}/${name}`);
    if (current === undefined) return undefined;
    if (stableJson(current.status) === stableJson(status)) return structuredClone(current);
    return this.write(namespace, { ...structuredClone(current), status: structuredClone(status) }, 'MODIFIED');
  }

  delete(namespace: string, name: string): KubeObject {
    const current = this.objects.get(`${namespace}/${name}`);
    if (current === undefined) throw notFound(this.resource, name);
    this.objects.delete(`${namespace}/${name}`);
    const version = this.clock.next();
    const deleted = structuredClone(current);
    deleted.metadata.resourceVersion = String(version);
    this.record({ type: 'DELETED', object: deleted, resourceVersion: version });
    return structuredClone(deleted);
  }

  /**
   * Streams changes: from `resourceVersion` (replaying what came after it), or, without one, the current
   * objects as ADDED first. Throws a 410 when that version has been compacted away.
   */
  watch(
    namespace: string | undefined,
    selector: LabelSelector,
    resourceVersion: string | undefined,
    send: (event: WatchEvent) => void,
  ): () => void {
    const matches = (event: RecordedEvent): boolean =>
      (namespace === undefined || event.object.metadata.namespace === namespace) && selector(event.object.metadata.labels);
    const listener = (event: RecordedEvent): void => {
      if (matches(event)) send({ type: event.type, object: structuredClone(event.object) });
    };
    if (resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0') {
      for (const object of this.list(namespace, selector).items) send({ type: 'ADDED', object });
    } else {
      const from = Number(resourceVersion);
      if (!Number.isInteger(from)) throw new KubeApiError(400, 'BadRequest', `invalid resource version "${resourceVersion}"`);
      if (from < this.compactedTo) {
        throw new KubeApiError(410, 'Expired', `too old resource version: ${from} (${this.compactedTo})`);
      }
      for (const event of this.history) if (event.resourceVersion > from) listener(event);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets the history, so that watches from any earlier resource version get a 410 (for tests). */
  compact(): void {
    this.history.length = 0;
    this.compactedTo = this.clock.now();
  }

  private write(namespace: string, object: KubeObject, type: WatchEventType): KubeObject {
    const version = this.clock.next();
    object.metadata.resourceVersion = String(version);
    this.objects.set(`${namespace}/${object.metadata.name}`, object);
    this.record({ type, object: structuredClone(object), resourceVersion: version });
    return structuredClone(object);
  }

  private record(event: RecordedEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.compactedTo = dropped.at(-1)?.resourceVersion ?? this.compactedTo;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** JSON with sorted keys, to compare objects whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}
