/**
 * Wakes everyone waiting for "something changed" (a process became ready, exited, the pool failed) at
 * once. One shared promise, made only when someone waits, so signalling costs nothing on the hot path.
 */
export class ChangeSignal {
  private changed: Promise<void> | undefined;
  private resolveChanged: (() => void) | undefined;

  notify(): void {
    const resolve = this.resolveChanged;
    if (resolve === undefined) return;
    this.resolveChanged = undefined;
    this.changed = undefined;
    resolve();
  }

  /** Resolves on the next `notify`, after `timeoutMs` (Infinity: never), or when the signal aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.changed === undefined) {
      this.changed = new Promise<void>((resolve) => {
        this.resolveChanged = resolve;
      });
    }
    const changed = this.changed;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(done, Math.max(0, timeoutMs)) : undefined;
      signal?.addEventListener('abort', done, { once: true });
      void changed.then(done);
    });
  }
}
