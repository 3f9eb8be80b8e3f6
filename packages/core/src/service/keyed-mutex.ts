/**
 * Serialises async work per key: work for one key runs one after the other, work for different keys at once.
 * Every write to one entity goes through one, so a background status change never interleaves with a user's
 * update of the same entity; drivers use one per function so that deploys, scales and removals never overlap.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once the work queued so far, for every key, has settled. */
  async whenIdle(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}
