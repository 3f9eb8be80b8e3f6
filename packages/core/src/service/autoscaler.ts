import { scalingOf, type FunctionScaling } from '../domain/function-scaling.js';
import type { DispatchFunction } from '../domain/types.js';
import { DeadlineExceededError, DispatchError, UnavailableError } from '../errors.js';
import type { Driver } from '../driver/driver.js';
import type { DispatchLogger } from '../driver/logger.js';

/** How long an autoscaled function goes without needing its replicas before it loses them (Knative's stable window). */
export const DEFAULT_SCALE_IDLE_MS = 60_000;
/** How long a scale-up from zero may take before the calls held for it fail. */
const WARM_TIMEOUT_MS = 5 * 60_000;

export interface AutoscalerOptions {
  /** Milliseconds without the load for the current replicas before they are scaled in (default DISPATCH_SCALE_IDLE_MS, else 60 s). */
  idleMs?: number;
  /** Told of every scale-up from zero that ended with the function ready: the function and the milliseconds it took. */
  onColdStart?: (functionName: string, durationMs: number) => void;
}

/** One autoscaled function: its calls in flight and the replicas asked of the driver. */
interface ScaleState {
  readonly name: string;
  /** The version of the function `scaling` was read from. */
  fn: DispatchFunction;
  scaling: FunctionScaling;
  inflight: number;
  /** The most calls in flight since the last idle check. */
  peak: number;
  /** The replicas asked for; the driver may still be getting there. */
  replicas: number;
  /** The replicas the driver last confirmed. */
  applied: number | undefined;
  /** The loop applying `replicas` to the driver, while it runs; it never rejects. */
  applying: Promise<void> | undefined;
  /** Why the driver last refused to scale. */
  failure: unknown;
  /** The scale-up from zero that held calls wait for, shared by all of them. */
  warming: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Scales functions with `minReplicas`/`maxReplicas` on the calls in flight: out as soon as the calls exceed
 * `targetConcurrency` per replica, in once the replicas were not needed for an idle window, to zero when the
 * minimum is 0. A call to a function at zero is held (as Knative's activator does) until a replica answers.
 * The run path pays an integer increment and a comparison; the driver is called only when the count changes.
 */
export class Autoscaler {
  readonly idleMs: number;
  private readonly states = new Map<string, ScaleState>();
  private closed = false;

  constructor(
    private readonly driver: Driver,
    private readonly logger: DispatchLogger | undefined,
    private readonly options: AutoscalerOptions = {},
  ) {
    const fromEnv = Number(process.env.DISPATCH_SCALE_IDLE_MS);
    this.idleMs = options.idleMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_SCALE_IDLE_MS);
  }

  /**
   * Counts a call in. Answers undefined when the call may go ahead at once, else a promise of the milliseconds
   * it was held for a replica to start. When that promise rejects (past the deadline, or the function cannot
   * start) the call is counted out already; otherwise every `enter` is paired with a `leave`.
   */
  enter(fn: DispatchFunction, deadline: number): Promise<number> | undefined {
    const state = this.stateFor(fn);
    if (state === undefined) return undefined;
    state.inflight++;
    if (state.inflight > state.peak) state.peak = state.inflight;
    if (state.replicas === 0 || state.warming !== undefined) return this.hold(state, deadline);
    const wanted = this.wanted(state, state.inflight);
    if (wanted > state.replicas) this.scaleTo(state, wanted);
    return undefined;
  }

  /** Counts a call to the function out. */
  leave(functionName: string): void {
    const state = this.states.get(functionName);
    if (state !== undefined && state.inflight > 0) state.inflight--;
  }

  /** A deploy of the function finished with `replicas` running: the count starts from there. */
  deployed(fn: DispatchFunction, replicas: number): void {
    this.forget(fn.name);
    const state = this.stateFor(fn, replicas);
    if (state !== undefined) state.applied = replicas;
  }

  /** The function was removed (or stopped autoscaling). */
  forget(name: string): void {
    const state = this.states.get(name);
    if (state === undefined) return;
    clearInterval(state.timer);
    this.states.delete(name);
  }

  /** The replicas the autoscaler asked for, for status and tests; undefined for a function it does not scale. */
  replicasOf(name: string): number | undefined {
    return this.states.get(name)?.replicas;
  }

  close(): void {
    this.closed = true;
    for (const state of this.states.values()) clearInterval(state.timer);
    this.states.clear();
  }

  private stateFor(fn: DispatchFunction, replicas?: number): ScaleState | undefined {
    let state = this.states.get(fn.name);
    if (state !== undefined) {
      // A changed function brings new settings (the cache hands out a new object on every write).
      if (state.fn !== fn) {
        const scaling = scalingOf(fn);
        if (scaling === undefined) return void this.forget(fn.name);
        state.fn = fn;
        state.scaling = scaling;
      }
      return state;
    }
    if (this.driver.scalesItself || this.driver.scale === undefined || this.closed) return undefined;
    const scaling = scalingOf(fn);
    if (scaling === undefined) return undefined;
    const initial = replicas ?? Math.min(scaling.max, Math.max(scaling.min, 1, fn.replicas));
    state = {
      name: fn.name,
      fn,
      scaling,
      failure: undefined,
      inflight: 0,
      peak: 0,
      replicas: initial,
      applied: undefined,
      applying: undefined,
      warming: undefined,
      timer: undefined,
    };
    this.states.set(fn.name, state);
    this.watchIdle(state);
    return state;
  }

  /** Replicas for `calls` in flight: one per `target` calls, within the bounds. */
  private wanted(state: ScaleState, calls: number): number {
    const { min, max, target } = state.scaling;
    return Math.min(max, Math.max(min, Math.ceil(calls / target)));
  }

  private scaleTo(state: ScaleState, replicas: number): void {
    state.replicas = replicas;
    state.applying ??= this.apply(state).finally(() => {
      state.applying = undefined;
    });
  }

  /** Applies `state.replicas` to the driver, one call at a time, until it stops changing or the driver refuses. */
  private async apply(state: ScaleState): Promise<void> {
    state.failure = undefined;
    while (state.applied !== state.replicas && this.states.get(state.name) === state) {
      const replicas = state.replicas;
      try {
        await this.driver.scale?.(state.name, replicas);
      } catch (error) {
        // Left as it was: the next change (or idle check) tries again.
        state.failure = error;
        state.replicas = state.applied ?? replicas;
        this.logger?.warn(
          { err: error, function: state.name, replicas },
          `could not scale function "${state.name}" to ${replicas} replica(s)`,
        );
        return;
      }
      state.applied = replicas;
      this.logger?.info({ function: state.name, replicas }, `scaled function "${state.name}" to ${replicas} replica(s)`);
    }
  }

  /** Holds a call until the function has a replica that answers, starting one if nobody has yet. */
  private async hold(state: ScaleState, deadline: number): Promise<number> {
    const started = Date.now();
    state.warming ??= this.warm(state).finally(() => {
      state.warming = undefined;
    });
    const left = deadline - started;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DeadlineExceededError(`function "${state.name}" did not start within the call's ${left} ms`)),
        Math.max(0, left),
      );
    });
    try {
      await Promise.race([state.warming, expired]);
    } catch (error) {
      this.leave(state.name);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - started;
  }

  private async warm(state: ScaleState): Promise<void> {
    const started = Date.now();
    this.scaleTo(state, Math.max(1, this.wanted(state, state.inflight)));
    try {
      await state.applying;
      if (state.failure !== undefined) throw state.failure;
      // Polled at most 50 ms apart: half the interval is, on average, added to every start from zero.
      for (let delay = 10; ; delay = Math.min(delay * 2, 50)) {
        const status = await this.driver.status(state.name);
        if (status.ready) break;
        if (status.failed) throw new UnavailableError(`function "${state.name}" cannot start: ${status.reason ?? 'it failed'}`);
        if (Date.now() - started > WARM_TIMEOUT_MS)
          throw new UnavailableError(`function "${state.name}" did not start: ${status.reason ?? 'no replica answers'}`);
        await sleep(delay);
      }
    } catch (error) {
      // The next call tries again from zero.
      state.replicas = 0;
      state.applied = undefined;
      throw DispatchError.isInstance(error)
        ? error
        : new UnavailableError(`function "${state.name}" could not start: ${(error as Error).message}`, { cause: error });
    }
    const durationMs = Date.now() - started;
    this.logger?.info({ function: state.name, durationMs }, `function "${state.name}" started from zero in ${durationMs} ms`);
    this.options.onColdStart?.(state.name, durationMs);
  }

  /** Every idle window: scale in to what the busiest moment of the window needed. */
  private watchIdle(state: ScaleState): void {
    state.timer = setInterval(() => {
      const wanted = this.wanted(state, state.peak);
      state.peak = state.inflight;
      if (state.warming !== undefined || state.applying !== undefined) return;
      // `applied` is unknown for a function first seen after a restart: the backend may run any count.
      if (wanted < state.replicas || state.applied === undefined) this.scaleTo(state, wanted);
    }, this.idleMs);
    state.timer.unref();
  }
}
