import type { Run } from '../domain/types.js';

/** What an image build or a function deploy ended with. */
export interface BuildEvent {
  /** `image`: a build of an Image; `function`: a deploy of a function (its image, its rollout, until it answers). */
  kind: 'image' | 'function';
  name: string;
  ok: boolean;
  durationMs: number;
}

/** A call waited for its function to start: scaled to zero, or still being deployed. */
export interface ColdStartEvent {
  functionName: string;
  /** How long the call was held before it could go to a replica (the run's `coldStartMs`). */
  durationMs: number;
}

/**
 * Told what Dispatch does, as it happens: the gateway's Prometheus metrics are one. Every member is optional and
 * is called synchronously, on the run path for the call events: an observer counts and returns, it never waits or
 * throws (a throw is caught and dropped, so that metrics never fail a run).
 */
export interface DispatchObserver {
  /** A call to a function starts: a blocking run, or an attempt of a queued run. */
  callStarted?(functionName: string): void;
  /**
   * The call ended, well or not: `run` carries its `status`, `error` (`type` says whose failure) and `durationMs`.
   * Called once for each `callStarted`.
   */
  callFinished?(run: Readonly<Run>): void;
  /** An image build or a function deploy ended. */
  buildFinished?(event: BuildEvent): void;
  /**
   * A call waited for its function to start: scaled to zero (the autoscaler started a replica for it), or being
   * deployed. Core reports it where it holds the call; anything else that holds calls reports it through
   * `ServiceContext.observers.coldStart`.
   */
  coldStart?(event: ColdStartEvent): void;
}

/** The observers of one Dispatch: itself an observer that tells each of them, and never throws. */
export class DispatchObservers implements Required<DispatchObserver> {
  private list: DispatchObserver[] = [];

  /** Adds an observer; answers a function that removes it. */
  add(observer: DispatchObserver): () => void {
    this.list = [...this.list, observer];
    return () => {
      this.list = this.list.filter((candidate) => candidate !== observer);
    };
  }

  callStarted(functionName: string): void {
    for (const observer of this.list) {
      try {
        observer.callStarted?.(functionName);
      } catch {
        // An observer's failure is its own: the run goes on.
      }
    }
  }

  callFinished(run: Readonly<Run>): void {
    for (const observer of this.list) {
      try {
        observer.callFinished?.(run);
      } catch {
        // As above.
      }
    }
  }

  buildFinished(event: BuildEvent): void {
    for (const observer of this.list) {
      try {
        observer.buildFinished?.(event);
      } catch {
        // As above.
      }
    }
  }

  coldStart(event: ColdStartEvent): void {
    for (const observer of this.list) {
      try {
        observer.coldStart?.(event);
      } catch {
        // As above.
      }
    }
  }
}
