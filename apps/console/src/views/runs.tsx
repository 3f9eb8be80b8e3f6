import { useEffect, useRef, useState } from 'preact/hooks';
import { readNdjson } from '../api/ndjson.js';
import type { DispatchFunction, LogLine, Run } from '../api/types.js';
import { Empty, Field, Json, Loading, Problem, StatusBadge, formatTime } from '../components.js';
import { useApi, useInterval } from '../hooks.js';
import { href } from '../route.js';
import { RunResult } from './run-result.js';

const TAIL = 200;

/** The live tail of a function's logs (`/v1/function/{name}/logs?follow=true`), newest lines kept. */
function LogTail({ name }: { name: string }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [problem, setProblem] = useState<string>();
  const [open, setOpen] = useState(false);
  const view = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setLines([]);
    setProblem(undefined);
    const abort = new AbortController();
    setOpen(true);
    (async () => {
      for await (const line of readNdjson<LogLine>(
        `/v1/function/${encodeURIComponent(name)}/logs?follow=true&tail=${TAIL}`,
        abort.signal,
      )) {
        setLines((previous) => [...previous.slice(-(TAIL - 1)), line]);
      }
    })().then(
      () => setOpen(false),
      (error: Error) => !abort.signal.aborted && (setProblem(error.message), setOpen(false)),
    );
    return () => abort.abort();
  }, [name]);
  useEffect(() => {
    const element = view.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [lines]);
  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">
        Logs of {name} {open && <span class="live">live</span>}
      </h2>
      <Problem error={problem} title="The log stream stopped" />
      <pre class="code log" role="log" aria-label={`Logs of ${name}`} ref={view} tabIndex={0}>
        {lines.length === 0
          ? 'No lines yet; they appear here as the function prints them.'
          : lines.map((line) => `${line.stream === 'stderr' ? '! ' : '  '}${line.line}`).join('\n')}
      </pre>
    </section>
  );
}

/**
 * Runs and logs: a function's recent runs (click one for its input and output), or only those a schedule started
 * (`?schedule=`, the link of a schedule), and the function's live log tail.
 */
export function RunsPage({ params }: { params: URLSearchParams }) {
  const functions = useApi<DispatchFunction[]>('/v1/function');
  const [name, setName] = useState(params.get('function') ?? '');
  // From the URL, so the schedule's link and "all runs" move the filter with the browser's history.
  const schedule = params.get('schedule') ?? '';
  const query = new URLSearchParams({ functionName: name, limit: '50', ...(schedule === '' ? {} : { schedule }) });
  const runs = useApi<Run[]>(name === '' ? undefined : `/v1/runs?${query.toString()}`);
  const [selected, setSelected] = useState<string>();
  useInterval(runs.reload, 5000);
  useEffect(() => {
    if (name === '' && functions.data?.[0]) setName(functions.data[0].name);
  }, [functions.data]);
  const run = runs.data?.find((candidate) => candidate.id === selected);

  return (
    <>
      <h1>Runs and logs</h1>
      <Problem error={functions.error} title="Could not read functions" />
      {functions.data?.length === 0 && <Empty>No functions yet, so no runs.</Empty>}
      {functions.loading && !functions.data && <Loading what="functions" />}
      {(functions.data?.length ?? 0) > 0 && (
        <Field id="runs-function" label="Function">
          <select
            id="runs-function"
            value={name}
            onChange={(event) => {
              const chosen = event.currentTarget.value;
              setName(chosen);
              setSelected(undefined);
              // Another function's runs are not the schedule's: the filter goes with the choice.
              if (schedule !== '') location.hash = href('runs', { function: chosen });
            }}
          >
            {functions.data?.map((fn) => (
              <option key={fn.name} value={fn.name}>
                {fn.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      {name !== '' && (
        <section aria-labelledby="runs-title">
          <h2 id="runs-title">{schedule === '' ? 'Recent runs' : `Runs started by the schedule ${schedule}`}</h2>
          {schedule !== '' && (
            <p class="filter">
              Only the runs of {name} that the schedule {schedule} started.{' '}
              <a href={href('runs', { function: name })}>All runs of {name}</a>
            </p>
          )}
          <Problem error={runs.error} title="Could not read runs" />
          {runs.data === undefined ? (
            runs.loading && <Loading what="runs" />
          ) : runs.data.length === 0 ? (
            <Empty>{schedule === '' ? `No runs of ${name} yet.` : `No runs started by ${schedule} yet.`}</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Started</th>
                    {schedule !== '' && <th scope="col">Tick</th>}
                  </tr>
                </thead>
                <tbody>
                  {runs.data.map((candidate) => (
                    <tr key={candidate.id} aria-selected={candidate.id === selected}>
                      <th scope="row">
                        <button
                          type="button"
                          class="link"
                          onClick={() => setSelected(candidate.id === selected ? undefined : candidate.id)}
                        >
                          {candidate.id.slice(0, 8)}
                        </button>
                      </th>
                      <td>
                        <StatusBadge status={candidate.status} />
                        {candidate.reason && <div class="reason">{candidate.reason}</div>}
                      </td>
                      <td>{candidate.durationMs === undefined ? '' : `${candidate.durationMs} ms`}</td>
                      <td>{formatTime(candidate.executedTime)}</td>
                      {schedule !== '' && (
                        <td>
                          {candidate.scheduledTime !== undefined && (
                            <time dateTime={new Date(candidate.scheduledTime * 1000).toISOString()}>
                              {formatTime(candidate.scheduledTime)}
                            </time>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {run && (
            <>
              <h3>Input</h3>
              <Json value={run.input} label="Input" />
              <RunResult run={run} heading={`Run ${run.id.slice(0, 8)}`} />
            </>
          )}
        </section>
      )}
      {name !== '' && <LogTail key={name} name={name} />}
    </>
  );
}
