import type { Cron } from 'croner';
import { parseCron } from '../domain/cron.js';
import type { Schedule } from '../domain/types.js';
import type { ScheduleTick } from '../store/store.js';
import type { ServiceContext } from './service-context.js';

/** setTimeout's longest wait; a later tick is re-armed for when this one ends. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * A timer that fires late (a busy event loop) still runs each tick it passed, up to this many; more than that
 * is treated as downtime, whose ticks are caught up by one run.
 */
const MAX_LATE_TICKS = 10;

interface Armed {
  schedule: Schedule;
  cron: Cron;
  /** The newest tick this process has submitted or seen claimed, epoch ms. */
  lastTick: number;
  /** False until this process first handled the schedule's ticks: until then, what passed was downtime. */
  live: boolean;
}

/**
 * Runs the schedules: one timer, set for the earliest next tick of all enabled schedules (no polling). When it
 * fires, each schedule whose tick has come submits one async run for it, with the tick claimed in the same store
 * transaction: gateways sharing the store race for a tick and one wins. After downtime (when this process starts),
 * the newest tick that passed is the only one due, so missed ticks are caught up by one run. Ticks from before a
 * schedule's last change never run (creating or re-enabling a schedule does not run its past).
 */
export class Scheduler {
  private readonly armed = new Map<string, Armed>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;

  constructor(
    private readonly context: ServiceContext,
    /** Submits the async run for a tick; resolves true when this process won the tick. */
    private readonly submit: (schedule: Schedule, tick: ScheduleTick) => Promise<boolean>,
  ) {}

  /** Reads the schedules again (one was written, here or by another gateway) and runs what is due. */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.read();
      } while (this.reloadAgain && !this.closed);
    })().finally(() => (this.reloading = undefined));
    return this.reloading.then(() => this.fire());
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async read(): Promise<void> {
    const schedules = await this.context.lifecycles.schedule.repo.list();
    const seen = new Set<string>();
    for (const schedule of schedules) {
      if (!schedule.enabled) continue;
      seen.add(schedule.name);
      const current = this.armed.get(schedule.name);
      if (current && current.schedule.revision === schedule.revision) continue;
      try {
        const cron = parseCron(schedule.cron, schedule.timezone, `schedule "${schedule.name}"`);
        // Ticks up to its last change are not its to run.
        const since = schedule.modifiedTime * 1000 + 999;
        this.armed.set(schedule.name, { schedule, cron, lastTick: Math.max(since, current?.lastTick ?? 0), live: current?.live ?? false });
      } catch (error) {
        this.context.logger?.error({ err: error, schedule: schedule.name }, 'a stored schedule cannot be read; it does not run');
        this.armed.delete(schedule.name);
      }
    }
    for (const name of this.armed.keys()) if (!seen.has(name)) this.armed.delete(name);
  }

  /** Submits every tick that has come, then sets the timer for the next one. */
  private async fire(): Promise<void> {
    clearTimeout(this.timer);
    if (this.closed) return;
    const now = Date.now();
    await Promise.all([...this.armed.values()].map((armed) => this.runDue(armed, now)));
    this.arm();
  }

  private async runDue(armed: Armed, now: number): Promise<void> {
    const { schedule, cron } = armed;
    const live = armed.live;
    armed.live = true;
    // The newest tick at or before now (croner's previous runs exclude the reference time itself).
    const newest = cron.previousRuns(1, new Date(now + 1))[0]?.getTime();
    if (newest === undefined || newest <= armed.lastTick) return;
    let due = [newest];
    if (live) {
      const passed = cron
        .nextRuns(MAX_LATE_TICKS + 1, new Date(armed.lastTick))
        .map((date) => date.getTime())
        .filter((tick) => tick <= newest);
      if (passed.length <= MAX_LATE_TICKS) due = passed;
    }
    armed.lastTick = newest;
    // In tick order: a store refuses a tick older than one claimed already.
    for (const tick of due) {
      try {
        const won = await this.submit(schedule, { schedule: schedule.name, time: tick });
        if (won) this.context.logger?.info({ schedule: schedule.name, tick: new Date(tick).toISOString() }, 'schedule tick submitted');
      } catch (error) {
        this.context.logger?.warn(
          { err: error, schedule: schedule.name, tick: new Date(tick).toISOString() },
          'a schedule tick could not be submitted',
        );
      }
    }
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const now = Date.now();
    let next = Infinity;
    for (const { cron } of this.armed.values()) next = Math.min(next, cron.nextRun(new Date(now))?.getTime() ?? Infinity);
    if (next === Infinity) return;
    // A timer may fire a millisecond early; firing then finds nothing due and sets the timer again.
    this.timer = setTimeout(() => void this.fire(), Math.min(MAX_TIMER_MS, Math.max(0, next - now)));
    this.timer.unref();
  }
}
