import { assertTimeZone, nextTicks, parseCron } from '../domain/cron.js';
import type { CreateInput, Schedule, UpdateInput } from '../domain/types.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { EntityService } from './dispatch-service.js';
import { assertStorableInput } from './run-storable.js';
import type { ServiceContext } from './service-context.js';

/** A schedule's input is copied into every run it starts: kept small. */
export const MAX_SCHEDULE_INPUT_BYTES = 64 * 1024;
/** How many next tick times a schedule is answered with. */
const NEXT_RUNS = 3;

type ScheduleFields = Pick<Schedule, 'function' | 'cron' | 'timezone' | 'input' | 'enabled'>;

/** Schedules: functions run on a cron expression (see Scheduler). READY as soon as stored. */
export function createScheduleService(context: ServiceContext, onChange: () => void): EntityService<Schedule> {
  const lifecycle = context.lifecycles.schedule;

  async function normalize(name: string, input: Partial<ScheduleFields>, previous?: Schedule): Promise<ScheduleFields> {
    const label = `schedule "${name}"`;
    const fn = input.function ?? previous?.function;
    if (typeof fn !== 'string' || fn === '') throw new InvalidInputError(`${label}: function is required`);
    try {
      await context.lifecycles.function.get(fn);
    } catch (error) {
      // The caller named something that is not there: a mistake in this request (400), not a missing schedule.
      if (error instanceof NotFoundError) throw new InvalidInputError(`${label}: function "${fn}" not found`);
      throw error;
    }
    const timezone = input.timezone ?? previous?.timezone ?? 'UTC';
    assertTimeZone(timezone, label);
    const cron = input.cron ?? previous?.cron;
    parseCron(cron, timezone, label);
    const enabled = input.enabled ?? previous?.enabled ?? true;
    if (typeof enabled !== 'boolean') throw new InvalidInputError(`${label}: enabled must be true or false`);
    const payload = input.input !== undefined ? input.input : (previous?.input ?? null);
    assertStorableInput(payload);
    if (Buffer.byteLength(JSON.stringify(payload)) > MAX_SCHEDULE_INPUT_BYTES) {
      throw new InvalidInputError(`${label}: input is larger than ${MAX_SCHEDULE_INPUT_BYTES} bytes of JSON`);
    }
    return { function: fn, cron: (cron as string).trim(), timezone, input: payload, enabled };
  }

  /** The schedule as answered: with its next tick times. */
  function withNextRuns(schedule: Schedule): Schedule {
    if (!schedule.enabled) return { ...schedule, nextRuns: [] };
    try {
      return { ...schedule, nextRuns: nextTicks(parseCron(schedule.cron, schedule.timezone, schedule.name), NEXT_RUNS) };
    } catch {
      return { ...schedule, nextRuns: [] };
    }
  }

  return {
    async create(input: CreateInput<Schedule>) {
      const meta = lifecycle.newMeta(input.name, input.tags);
      const entity: Schedule = { ...meta, ...(await normalize(meta.name, input)), status: 'READY' };
      await lifecycle.insert(entity);
      onChange();
      return withNextRuns(entity);
    },

    get: async (name) => withNextRuns(await lifecycle.get(name)),
    list: async (filter) => (await lifecycle.repo.list(filter)).map(withNextRuns),

    async update(name: string, input: UpdateInput<Schedule>) {
      const fields = await normalize(name, input, await lifecycle.get(name));
      const updated = await lifecycle.modify(
        name,
        (current) => ({ ...current, ...fields, tags: input.tags ?? current.tags }),
        input.revision,
      );
      onChange();
      return withNextRuns(updated);
    },

    async delete(name: string) {
      const schedule = await lifecycle.get(name);
      await lifecycle.remove(name);
      await context.store.queue.forgetTicks(name);
      onChange();
      return { ...schedule, status: 'DELETING' };
    },

    watch: (name, options) => lifecycle.watch(name, options),

    waitUntilReady: async (name, options) => withNextRuns(await lifecycle.waitUntilReady(name, options)),
  };
}
