import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { DispatchFunction, Schedule } from '../api/types.js';
import { Empty, Field, Loading, Problem, formatTime } from '../components.js';
import { useApi, useInterval } from '../hooks.js';
import { href } from '../route.js';
import { FunctionSelect, NameField } from './form-fields.js';

interface Form {
  name: string;
  fn: string;
  cron: string;
  timezone: string;
  input: string;
  enabled: boolean;
}

/** The browser's own time zone, as the form's default: what the person typing the cron expression thinks in. */
function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Schedules: every schedule with its next runs, switched on and off or deleted in place, and a form to create one. */
export function SchedulesPage({ params }: { params: URLSearchParams }) {
  const schedules = useApi<Schedule[]>('/v1/schedule');
  const functions = useApi<DispatchFunction[]>('/v1/function');
  // Next runs move with the clock: read them again as the overview reads its lists.
  useInterval(schedules.reload, 5000);
  const preset = params.get('function') ?? '';
  const [form, setForm] = useState<Form>({ name: preset, fn: preset, cron: '0 * * * *', timezone: localZone(), input: '', enabled: true });
  const [problem, setProblem] = useState<string>();
  const [rowProblem, setRowProblem] = useState<string>();
  const [created, setCreated] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const set = (field: keyof Form) => (event: { currentTarget: { value: string } }) =>
    setForm((previous) => ({ ...previous, [field]: event.currentTarget.value }));

  async function create(event: Event) {
    event.preventDefault();
    setProblem(undefined);
    setCreated(undefined);
    let input: unknown;
    try {
      input = form.input.trim() === '' ? undefined : JSON.parse(form.input);
    } catch (error) {
      return setProblem(`the input is not JSON: ${(error as Error).message}`);
    }
    setBusy('create');
    try {
      await api<Schedule>('POST', '/v1/schedule', {
        name: form.name,
        function: form.fn,
        cron: form.cron,
        timezone: form.timezone,
        enabled: form.enabled,
        ...(input === undefined ? {} : { input }),
      });
      setCreated(form.name);
      schedules.reload();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(undefined);
    }
  }

  /** Enables, disables or deletes one schedule, then reads the list again. */
  async function change(schedule: Schedule, what: 'toggle' | 'delete') {
    const path = `/v1/schedule/${encodeURIComponent(schedule.name)}`;
    if (what === 'delete' && !confirm(`Delete the schedule ${schedule.name}? Its function stays.`)) return;
    setBusy(schedule.name);
    setRowProblem(undefined);
    try {
      if (what === 'toggle') await api<Schedule>('PUT', path, { enabled: !schedule.enabled });
      else await api<void>('DELETE', path);
      schedules.reload();
    } catch (error) {
      setRowProblem(`${schedule.name}: ${(error as Error).message}`);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <>
      <h1>Schedules</h1>
      <Problem error={schedules.error} title="Could not read schedules" />
      <Problem error={rowProblem} title="Could not change the schedule" />
      {schedules.data === undefined ? (
        schedules.loading && <Loading what="schedules" />
      ) : schedules.data.length === 0 ? (
        <Empty>No schedules yet: create one below.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">Function</th>
                <th scope="col">Cron</th>
                <th scope="col">Time zone</th>
                <th scope="col">Next runs</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {schedules.data.map((schedule) => (
                <tr key={schedule.name} data-name={schedule.name} class={created === schedule.name ? 'just-created' : undefined}>
                  <th scope="row">{schedule.name}</th>
                  <td>
                    <a href={href('runs', { function: schedule.function })}>{schedule.function}</a> ·{' '}
                    <a
                      href={href('runs', { function: schedule.function, schedule: schedule.name })}
                      aria-label={`Runs of ${schedule.name}`}
                    >
                      its runs
                    </a>
                  </td>
                  <td>
                    <code>{schedule.cron}</code>
                  </td>
                  <td>{schedule.timezone}</td>
                  <td class="next-runs">
                    {schedule.enabled ? (
                      <ul class="plain">
                        {(schedule.nextRuns ?? []).map((tick) => (
                          <li key={tick}>
                            <time dateTime={new Date(tick * 1000).toISOString()}>{formatTime(tick)}</time>
                          </li>
                        ))}
                      </ul>
                    ) : (
                      <span class="status status-disabled">disabled</span>
                    )}
                  </td>
                  <td>
                    <button type="button" class="small" disabled={busy === schedule.name} onClick={() => change(schedule, 'toggle')}>
                      {schedule.enabled ? `Disable ${schedule.name}` : `Enable ${schedule.name}`}
                    </button>{' '}
                    <button type="button" class="small" disabled={busy === schedule.name} onClick={() => change(schedule, 'delete')}>
                      Delete {schedule.name}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section aria-labelledby="create-schedule">
        <h2 id="create-schedule">Create a schedule</h2>
        <form onSubmit={create}>
          <div class="grid">
            <NameField id="sc-name" value={form.name} onValue={(name) => setForm((previous) => ({ ...previous, name }))} />
            <FunctionSelect
              id="sc-function"
              functions={functions}
              value={form.fn}
              onValue={(fn) => setForm((previous) => ({ ...previous, fn, name: previous.name || fn }))}
            />
            <Field id="sc-cron" label="Cron" hint="minute hour day month weekday (0 2 * * *), seconds first if six fields, or @daily">
              <input id="sc-cron" required maxLength={200} value={form.cron} onInput={set('cron')} aria-describedby="sc-cron-hint" />
            </Field>
            <Field id="sc-timezone" label="Time zone" hint="IANA name, e.g. Europe/Berlin or UTC">
              <input
                id="sc-timezone"
                required
                maxLength={64}
                value={form.timezone}
                onInput={set('timezone')}
                aria-describedby="sc-timezone-hint"
              />
            </Field>
          </div>
          <Field id="sc-input" label="Input (JSON)" hint="the payload of every run; empty for none">
            <textarea id="sc-input" rows={3} maxLength={65536} value={form.input} onInput={set('input')} aria-describedby="sc-input-hint" />
          </Field>
          <label class="check">
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(event) => {
                const enabled = event.currentTarget.checked;
                setForm((previous) => ({ ...previous, enabled }));
              }}
            />
            Enabled
          </label>
          <button type="submit" disabled={busy === 'create'}>
            {busy === 'create' ? 'Creating…' : 'Create the schedule'}
          </button>
        </form>
        <Problem error={problem} title="Could not create the schedule" />
        {created && (
          <p role="status" class="ok">
            Schedule {created} created.
          </p>
        )}
      </section>
    </>
  );
}
