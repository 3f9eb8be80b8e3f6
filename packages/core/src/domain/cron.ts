import { Cron } from 'croner';
import { InvalidInputError } from '../errors.js';

/** Longer expressions are refused: no sensible cron expression comes near it. */
export const MAX_CRON_LENGTH = 256;

/**
 * Checks an IANA time zone name with the runtime's own time zone data (the data croner reads it with), so that
 * a name accepted here is one every tick can be computed in.
 */
export function assertTimeZone(timezone: unknown, context: string): asserts timezone is string {
  if (typeof timezone !== 'string' || timezone === '')
    throw new InvalidInputError(`${context}: timezone must be an IANA time zone name such as "Europe/Berlin"`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidInputError(`${context}: unknown time zone "${timezone}"; use an IANA name such as "UTC" or "Europe/Berlin"`);
  }
}

/**
 * Parses a cron expression in a time zone: five fields (minute precision) or six (seconds first), read by croner,
 * which also handles the days a DST change skips or repeats. The expression must have a tick to come.
 * The returned job never runs anything itself: the scheduler asks it for tick times.
 */
export function parseCron(expression: unknown, timezone: string, context: string): Cron {
  if (typeof expression !== 'string' || expression.trim() === '')
    throw new InvalidInputError(`${context}: cron is required (e.g. "0 2 * * *" for 02:00 every day)`);
  if (expression.length > MAX_CRON_LENGTH) throw new InvalidInputError(`${context}: cron has more than ${MAX_CRON_LENGTH} characters`);
  let cron: Cron;
  try {
    cron = new Cron(expression.trim(), { paused: true, timezone });
  } catch (error) {
    const why = (error as Error).message.replace(/^CronPattern: /, '');
    throw new InvalidInputError(`${context}: cron "${expression}" is not valid: ${why}`);
  }
  if (cron.nextRun() === null) throw new InvalidInputError(`${context}: cron "${expression}" never runs again`);
  return cron;
}

/** The next `count` tick times after `from`, in Unix seconds. */
export function nextTicks(cron: Cron, count: number, from = new Date()): number[] {
  return cron.nextRuns(count, from).map((date) => Math.floor(date.getTime() / 1000));
}
