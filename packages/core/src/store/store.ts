import type { EntityByKind, EntityKind, Run, Tag } from '../domain/types.js';

export interface ListFilter {
  /** Only entities carrying every one of these tags. */
  tags?: Tag[];
}

/** The entities of one kind. */
export interface EntityRepository<T> {
  get(name: string): Promise<T | undefined>;
  list(filter?: ListFilter): Promise<T[]>;
  /** Throws ConflictError when the name is taken. */
  insert(entity: T): Promise<void>;
  /**
   * Replaces the stored entity when its revision is still `expectedRevision`, and throws ConflictError
   * otherwise, so that two writers never silently overwrite each other.
   */
  update(entity: T, expectedRevision: number): Promise<void>;
  /** True when something was deleted. */
  delete(name: string): Promise<boolean>;
}

export interface RunListOptions {
  functionName?: string;
  /** Newest first; at most this many. */
  limit?: number;
}

export interface RunRepository {
  insert(run: Run): Promise<void>;
  update(run: Run): Promise<void>;
  get(id: string): Promise<Run | undefined>;
  list(options?: RunListOptions): Promise<Run[]>;
  /** Keeps the newest `keep` runs of a function and deletes the rest. */
  prune(functionName: string, keep: number): Promise<void>;
  deleteForFunction(functionName: string): Promise<void>;
}

/** Where Dispatch keeps its state. The default is an embedded SQLite file (`openSqliteStore`). */
export interface Store {
  entities<K extends EntityKind>(kind: K): EntityRepository<EntityByKind[K]>;
  readonly runs: RunRepository;
  close(): Promise<void>;
}
