import type { Run } from '../api/types.js';
import { Json, StatusBadge } from '../components.js';
import { href } from '../route.js';

/** A run: output or error, the lines it printed, how long it took. */
export function RunResult({ run, heading = 'Result' }: { run: Run; heading?: string }) {
  const stdout = run.logs?.stdout ?? [];
  const stderr = run.logs?.stderr ?? [];
  return (
    <section class="run" aria-labelledby={`run-${run.id}`}>
      <h2 id={`run-${run.id}`}>
        {heading} <StatusBadge status={run.status} /> {run.durationMs !== undefined && <span class="duration">{run.durationMs} ms</span>}
      </h2>
      {run.error && (
        <p class="error" role="alert">
          <strong>{run.error.type}:</strong> {run.error.message}
        </p>
      )}
      <h3>Output</h3>
      <Json value={run.output} label="Output" />
      <h3>stdout</h3>
      <pre class="code" aria-label="stdout">
        {stdout.length === 0 ? '(nothing)' : stdout.join('\n')}
      </pre>
      <h3>stderr</h3>
      <pre class="code" aria-label="stderr">
        {stderr.length === 0 ? '(nothing)' : stderr.join('\n')}
      </pre>
      <p class="hint">
        Run {run.id} is in the <a href={href('runs', { function: run.functionName })}>history of {run.functionName}</a>.
      </p>
    </section>
  );
}
