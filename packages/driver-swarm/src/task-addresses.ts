import type { ResolveAddress } from './call-service.js';

/** How long a resolution of a service's addresses is used before a call starts a new one in the background. */
const FRESH_FOR_MS = 1000;
/**
 * A set older than this is not used without a new resolution: a function idle for a while may have been scaled to
 * zero and started again on other addresses (a call sent on the old one would wait for the liveness watch).
 */
const STALE_AFTER_MS = 5000;
/** A service nobody called for this long is forgotten (its next call resolves its name first). */
const UNUSED_FOR_MS = 60_000;
/**
 * How long addresses learnt from the engine (a task seen running and accepting connections) are kept although
 * Swarm's DNS does not list them yet: its records follow a task's start by a moment.
 */
const SEEDED_FOR_MS = 2000;

interface Entry {
  addresses: string[];
  /** When the addresses were resolved (epoch ms); 0 for addresses only seeded. */
  at: number;
  lastUsed: number;
  /** Why the last resolution failed, when it did and no address is known. */
  error?: unknown;
  refreshing?: Promise<string[]>;
  /** Addresses from the engine, with the time until which they stand without DNS. */
  seeded: Map<string, number>;
}

/**
 * The addresses of each function's tasks, shared by its calls, the task liveness watch and the status check: a
 * call takes the set as it is (no lookup on its path, after the service's first call) and a set older than a second
 * is resolved again in the background. Whoever finds a task gone or refusing asks for a resolution at once
 * (`refresh`), which every call waiting on it shares.
 */
export class TaskAddresses {
  private readonly entries = new Map<string, Entry>();

  /** `onRemoved` is told the addresses a resolution no longer lists (their tasks are gone). */
  constructor(
    private readonly resolve: ResolveAddress,
    private readonly onRemoved?: (addresses: string[]) => void,
  ) {}

  /**
   * The addresses of `service`'s tasks: synchronous once known (a stale set is refreshed in the background).
   * Rejects with the resolver's error when no address was ever found.
   */
  get(service: string): string[] | Promise<string[]> {
    const now = Date.now();
    const entry = this.entries.get(service);
    if (entry === undefined || now - entry.at >= STALE_AFTER_MS) return this.refresh(service);
    entry.lastUsed = now;
    if (now - entry.at >= FRESH_FOR_MS && entry.refreshing === undefined) {
      this.refresh(service).catch(() => undefined);
    }
    if (entry.addresses.length === 0 && entry.error !== undefined) return Promise.reject(entry.error);
    return entry.addresses;
  }

  /** The addresses, resolved at most `maxAgeMs` ago (a resolution in progress is shared). */
  async fresh(service: string, maxAgeMs: number): Promise<string[]> {
    const entry = this.entries.get(service);
    if (entry !== undefined && entry.at > 0 && Date.now() - entry.at < maxAgeMs) {
      entry.lastUsed = Date.now();
      if (entry.addresses.length === 0 && entry.error !== undefined) throw entry.error;
      return entry.addresses;
    }
    return this.refresh(service);
  }

  /** Resolves the service's addresses now, or joins the resolution in progress. */
  refresh(service: string): Promise<string[]> {
    const entry = this.entryOf(service);
    entry.refreshing ??= this.resolve(service)
      .then(
        (resolved) => {
          entry.error = undefined;
          this.replace(entry, this.withSeeded(entry, resolved));
          return entry.addresses;
        },
        (error: NodeJS.ErrnoException) => {
          // No record at all: the service has no running task. Any other failure keeps what was known.
          if (error.code === 'ENOTFOUND') this.replace(entry, this.withSeeded(entry, []));
          entry.error = error;
          if (entry.addresses.length === 0) throw error;
          return entry.addresses;
        },
      )
      .finally(() => {
        entry.at = Date.now();
        entry.refreshing = undefined;
      });
    return entry.refreshing;
  }

  /**
   * Adds addresses that the engine reports as running tasks accepting connections, so that the first call after
   * a start does not wait for Swarm's DNS to list them.
   */
  seed(service: string, addresses: string[]): void {
    const entry = this.entryOf(service);
    const until = Date.now() + SEEDED_FOR_MS;
    for (const address of addresses) {
      entry.seeded.set(address, until);
      if (!entry.addresses.includes(address)) entry.addresses = [...entry.addresses, address];
    }
  }

  /** Forgets a removed service. */
  forget(service: string): void {
    this.entries.delete(service);
  }

  private entryOf(service: string): Entry {
    const now = Date.now();
    let entry = this.entries.get(service);
    if (entry === undefined) {
      for (const [name, other] of this.entries) if (now - other.lastUsed > UNUSED_FOR_MS) this.entries.delete(name);
      entry = { addresses: [], at: 0, lastUsed: now, seeded: new Map() };
      this.entries.set(service, entry);
    }
    entry.lastUsed = now;
    return entry;
  }

  private replace(entry: Entry, addresses: string[]): void {
    const removed = entry.addresses.filter((address) => !addresses.includes(address));
    entry.addresses = addresses;
    if (removed.length > 0) this.onRemoved?.(removed);
  }

  /** The resolved addresses and the seeded ones still within their grace (those DNS lists need it no more). */
  private withSeeded(entry: Entry, resolved: string[]): string[] {
    if (entry.seeded.size === 0) return resolved;
    const now = Date.now();
    const extra: string[] = [];
    for (const [address, until] of entry.seeded) {
      if (until <= now || resolved.includes(address)) entry.seeded.delete(address);
      else extra.push(address);
    }
    return extra.length === 0 ? resolved : [...resolved, ...extra];
  }
}
