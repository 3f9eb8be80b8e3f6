import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EntityByKind, EntityKind, EntityMeta, Status, Tag } from '../domain/types.js';
import { KIND_LABEL, assertValidName, normalizeTags } from '../domain/validation.js';
import { ConflictError, DeadlineExceededError, DispatchError, EntityNotFoundError, NotFoundError } from '../errors.js';
import type { ProgressListener } from '../driver/driver.js';
import type { EntityEvent } from './dispatch-service.js';
import type { EntityRepository, Store } from '../store/store.js';
import { KeyedMutex } from './keyed-mutex.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Raised by `waitUntilReady` when the entity ends in ERROR; carries the entity's reason. */
export class EntityFailedError extends DispatchError {
  constructor(message: string) {
    super(502, message);
  }
}

/**
 * What every entity kind shares: reading with a clear 404, writing with a revision bump under a per-entity
 * lock, status changes that notify waiters, and waiting for READY.
 */
export class EntityLifecycle<K extends EntityKind> {
  readonly label: string;
  readonly repo: EntityRepository<EntityByKind[K]>;
  private readonly events = new EventEmitter();
  private readonly mutex = new KeyedMutex();
  private readonly writeListeners: ((name: string) => void)[] = [];

  constructor(
    readonly kind: K,
    store: Store,
  ) {
    this.label = KIND_LABEL[kind];
    this.repo = store.entities(kind);
    // Many CLI clients may wait on the same entity.
    this.events.setMaxListeners(0);
  }

  async get(name: string): Promise<EntityByKind[K]> {
    const entity = await this.repo.get(name);
    if (!entity) throw new EntityNotFoundError({ kind: this.kind, name }, `${this.label} "${name}" not found`);
    return entity;
  }

  /** The fields every new entity starts with. */
  newMeta(name: unknown, tags: Tag[] | undefined): EntityMeta {
    assertValidName(this.kind, name);
    const time = nowSeconds();
    return {
      name,
      id: randomUUID(),
      createdTime: time,
      modifiedTime: time,
      revision: 1,
      tags: normalizeTags(tags),
      status: 'INITIALIZED',
      reason: '',
    };
  }

  /**
   * Refuses to delete an entity that others still reference: `users` are descriptions such as
   * `function "hello"`. Deleting it would leave them broken, so the user decides what goes first.
   */
  assertUnused(name: string, users: string[]): void {
    if (users.length > 0) {
      throw new ConflictError(`${this.label} "${name}" is used by ${users.join(', ')}; delete or change those first`);
    }
  }

  locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(name, work);
  }

  async insert(entity: EntityByKind[K]): Promise<EntityByKind[K]> {
    return this.locked(entity.name, async () => {
      if (await this.repo.get(entity.name)) throw new ConflictError(`${this.label} "${entity.name}" already exists`);
      await this.repo.insert(entity);
      this.notify(entity);
      return entity;
    });
  }

  /**
   * Applies `change` to the stored entity and writes it with the next revision. `expectedRevision`, when given,
   * must match the stored one (optimistic concurrency for API callers).
   */
  async modify(
    name: string,
    change: (current: EntityByKind[K]) => EntityByKind[K] | Promise<EntityByKind[K]>,
    expectedRevision?: number,
  ): Promise<EntityByKind[K]> {
    return this.locked(name, async () => {
      const current = await this.get(name);
      if (expectedRevision !== undefined && expectedRevision !== current.revision) {
        throw new ConflictError(
          `${this.label} "${name}" was changed meanwhile (revision ${current.revision}, not ${expectedRevision}); read it again and retry`,
        );
      }
      const next = await change(current);
      const written = {
        ...next,
        name,
        id: current.id,
        createdTime: current.createdTime,
        revision: current.revision + 1,
        modifiedTime: nowSeconds(),
      };
      await this.repo.update(written, current.revision);
      this.notify(written);
      return written;
    });
  }

  /** Moves an entity to a status; a missing entity (deleted meanwhile) is not an error here. */
  async setStatus(name: string, status: Status, reason = '', fields: Partial<EntityByKind[K]> = {}): Promise<EntityByKind[K] | undefined> {
    try {
      return await this.modify(name, (current) => ({ ...current, ...fields, status, reason }));
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    await this.locked(name, async () => {
      await this.repo.delete(name);
    });
    for (const listener of this.writeListeners) listener(name);
    this.events.emit(name, undefined);
  }

  /** Calls `listener` after every write of an entity of this kind (for caches kept on the run path). */
  onWrite(listener: (name: string) => void): void {
    this.writeListeners.push(listener);
  }

  notify(entity: EntityByKind[K]): void {
    for (const listener of this.writeListeners) listener(entity.name);
    this.events.emit(entity.name, entity);
  }

  progress(name: string, line: string): void {
    this.events.emit(`progress:${name}`, line);
  }

  /** A progress listener that forwards a driver's build or deploy lines to waiters. */
  progressListener(name: string): ProgressListener {
    return (line) => this.progress(name, line);
  }

  /** See `EntityService.watch`. */
  async *watch(name: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<EntityEvent> {
    const queue: EntityEvent[] = [];
    let wake: (() => void) | undefined;
    const push = (event: EntityEvent) => {
      queue.push(event);
      wake?.();
    };
    const onChange = (entity: EntityByKind[K] | undefined) =>
      push(entity ? { type: 'status', status: entity.status, reason: entity.reason } : { type: 'deleted' });
    const onProgress = (line: string) => push({ type: 'progress', line });
    const onAbort = () => wake?.();
    // Listen before reading, so that no change between the read and the subscription is lost.
    this.events.on(name, onChange);
    this.events.on(`progress:${name}`, onProgress);
    options.signal?.addEventListener('abort', onAbort);
    try {
      onChange(await this.get(name));
      for (;;) {
        while (queue.length > 0) {
          const event = queue.shift() as EntityEvent;
          yield event;
          if (isFinal(event)) return;
        }
        if (options.signal?.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.events.off(name, onChange);
      this.events.off(`progress:${name}`, onProgress);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async waitUntilReady(
    name: string,
    options: { timeoutMs?: number; onProgress?: ProgressListener; signal?: AbortSignal } = {},
  ): Promise<EntityByKind[K]> {
    const timeoutMs = options.timeoutMs ?? 10 * 60_000;
    return new Promise<EntityByKind[K]>((resolve, reject) => {
      const onProgress = options.onProgress;
      const onAbort = () => {
        cleanup();
        reject(options.signal?.reason ?? new Error('aborted'));
      };
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.events.off(name, onChange);
        if (onProgress) this.events.off(`progress:${name}`, onProgress);
      };
      const settle = (entity: EntityByKind[K] | undefined): boolean => {
        if (!entity) {
          cleanup();
          reject(new NotFoundError(`${this.label} "${name}" was deleted while waiting for it`));
          return true;
        }
        if (entity.status === 'READY') {
          cleanup();
          resolve(entity);
          return true;
        }
        if (entity.status === 'ERROR') {
          cleanup();
          reject(new EntityFailedError(`${this.label} "${name}" failed: ${entity.reason || 'no reason given'}`));
          return true;
        }
        return false;
      };
      const onChange = (entity: EntityByKind[K] | undefined) => void settle(entity);
      if (options.signal?.aborted) {
        reject(options.signal.reason);
        return;
      }
      // Declared before anything can call `cleanup`, which clears it.
      const timer = setTimeout(() => {
        cleanup();
        reject(new DeadlineExceededError(`${this.label} "${name}" was not READY after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.events.on(name, onChange);
      if (onProgress) this.events.on(`progress:${name}`, onProgress);
      this.get(name).then(
        (entity) => void settle(entity),
        (error: unknown) => {
          cleanup();
          reject(error);
        },
      );
    });
  }
}

/** True for the events after which an entity's watch ends. */
const isFinal = (event: EntityEvent) =>
  event.type === 'deleted' || (event.type === 'status' && (event.status === 'READY' || event.status === 'ERROR'));

/** A reason fit for a person: the error's message, without a stack. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
