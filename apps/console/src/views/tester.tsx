import { useEffect, useMemo, useState } from 'preact/hooks';
import { adminHeaders, get, send } from '../api/client.js';
import type { Exchange } from '../api/client.js';
import type { DispatchFunction, Endpoint, Run } from '../api/types.js';
import { Field, Json, Loading, Problem } from '../components.js';
import { useApi } from '../hooks.js';
import { githubSignature } from '../lib/github-signature.js';
import { SAMPLES } from '../lib/samples.js';
import { schemaProblems } from '../lib/schema.js';
import { href } from '../route.js';
import { RawExchange } from './exchange.js';
import { RunResult } from './run-result.js';

/** Where an endpoint answers in this browser: its first path on this origin (a `/*` prefix without the star). */
export function endpointUrl(endpoint: Endpoint): string {
  const path = (endpoint.uris[0] ?? '/').replace(/\*$/, '');
  return `${location.origin}${path}`;
}

/** A run queued (INITIALIZED) or under way (CREATING) has not finished. */
const UNFINISHED: ReadonlySet<string> = new Set(['INITIALIZED', 'CREATING']);

/** Reads a queued run until it has finished (or 30 s have passed: then as it stands). */
async function finishedRun(id: string): Promise<Run> {
  const deadline = Date.now() + 30_000;
  while (true) {
    const run = await get<Run>(`/v1/runs/${encodeURIComponent(id)}`);
    if (!UNFINISHED.has(run.status) || Date.now() > deadline) return run;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The text an Alexa response speaks, if the answer is one. */
function speechOf(answer: unknown): string | undefined {
  const text = (answer as { response?: { outputSpeech?: { text?: unknown } } } | null)?.response?.outputSpeech?.text;
  return typeof text === 'string' ? text : undefined;
}

function endpointMethod(endpoint: Endpoint): string {
  const methods = endpoint.methods.map((method) => method.toUpperCase());
  return methods.includes('POST') || methods.length === 0 ? 'POST' : (methods[0] ?? 'POST');
}

/** Tester: runs a function (through the admin API) or an endpoint (as its callers do) with a JSON input. */
export function TesterPage({ params }: { params: URLSearchParams }) {
  const functions = useApi<DispatchFunction[]>('/v1/function');
  const endpoints = useApi<Endpoint[]>('/v1/endpoint');
  const initial = params.get('endpoint')
    ? `endpoint:${params.get('endpoint')}`
    : params.get('function')
      ? `function:${params.get('function')}`
      : '';
  const [target, setTarget] = useState(initial);
  const [input, setInput] = useState('{\n  "name": "user"\n}');
  const [githubEvent, setGithubEvent] = useState<string>();
  const [alexaSample, setAlexaSample] = useState(false);
  const [webhookSecret, setWebhookSecret] = useState('');
  const [authorization, setAuthorization] = useState('');
  const [exchange, setExchange] = useState<Exchange>();
  const [run, setRun] = useState<Run>();
  const [output, setOutput] = useState<{ value: unknown; status: number }>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const [kind, name] = target.split(':', 2) as ['function' | 'endpoint' | '', string | undefined];
  const endpoint = kind === 'endpoint' ? endpoints.data?.find((candidate) => candidate.name === name) : undefined;
  const functionName = kind === 'function' ? name : endpoint?.function;
  const fn = functions.data?.find((candidate) => candidate.name === functionName);

  useEffect(() => {
    if (target === '' && functions.data?.[0]) setTarget(`function:${functions.data[0].name}`);
  }, [functions.data]);

  const parsed = useMemo((): { value?: unknown; problems: string[] } => {
    let value: unknown;
    try {
      value = input.trim() === '' ? null : JSON.parse(input);
    } catch (error) {
      return { problems: [`not JSON: ${(error as Error).message}`] };
    }
    return { value, problems: kind === 'function' ? schemaProblems(fn?.schema?.in, value) : [] };
  }, [input, fn, kind]);

  function applySample(id: string) {
    const sample = SAMPLES.find((candidate) => candidate.id === id);
    if (!sample) return;
    setInput(JSON.stringify(sample.body(), null, 2));
    setGithubEvent(sample.githubEvent);
    setAlexaSample(sample.alexa === true);
  }

  async function runIt(event: Event) {
    event.preventDefault();
    if (parsed.problems.length > 0 || functionName === undefined) return;
    setBusy(true);
    setProblem(undefined);
    setRun(undefined);
    setOutput(undefined);
    try {
      if (kind === 'function') {
        const body = JSON.stringify({ input: parsed.value, blocking: true });
        const result = await send('POST', `/v1/runs?functionName=${encodeURIComponent(functionName)}`, adminHeaders(), body);
        setExchange(result);
        const answer = JSON.parse(result.response.body || 'null') as (Run & { message?: string }) | null;
        if (answer && typeof answer.id === 'string') setRun(answer);
        else setProblem(answer?.message ?? `HTTP ${result.response.status}`);
      } else if (endpoint) {
        const body = JSON.stringify(parsed.value);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (authorization.trim() !== '') headers.authorization = authorization.trim();
        if (githubEvent) {
          headers['x-github-event'] = githubEvent;
          headers['x-github-delivery'] = crypto.randomUUID();
          if (webhookSecret !== '') headers['x-hub-signature-256'] = await githubSignature(webhookSecret, body);
        }
        const result = await send(endpointMethod(endpoint), endpointUrl(endpoint), headers, body);
        setExchange(result);
        let value: unknown = result.response.body;
        try {
          value = JSON.parse(result.response.body);
        } catch {
          // shown as text
        }
        setOutput({ value, status: result.response.status });
        const queued = (value as { runId?: unknown } | null)?.runId;
        if (typeof queued === 'string') {
          // A GitHub delivery is queued (202 with the run's id): follow that run until it is done.
          setRun(await finishedRun(queued));
        } else if (endpoint.trigger !== 'github' && result.response.status < 400) {
          // The endpoint answers with the output only; the run it made, with its logs, is the newest in the history.
          const [latest] = await get<Run[]>(`/v1/runs?functionName=${encodeURIComponent(functionName)}&limit=1`);
          if (latest) setRun(latest);
        }
      }
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const signed =
    githubEvent === undefined
      ? undefined
      : webhookSecret !== ''
        ? 'signed (X-Hub-Signature-256)'
        : `unsigned${endpoint?.trigger === 'github' ? ': a github endpoint refuses it; type the webhook secret to sign it' : ''}`;
  return (
    <>
      <h1>Tester</h1>
      <Problem error={functions.error ?? endpoints.error} title="Could not read functions and endpoints" />
      {functions.loading && !functions.data && <Loading what="functions" />}
      <form class="tester" onSubmit={runIt}>
        <Field id="target" label="Run">
          <select id="target" value={target} onChange={(event) => setTarget(event.currentTarget.value)}>
            <option value="">Choose a function or an endpoint</option>
            <optgroup label="Functions">
              {functions.data?.map((candidate) => (
                <option key={candidate.name} value={`function:${candidate.name}`}>
                  {candidate.name} ({candidate.status})
                </option>
              ))}
            </optgroup>
            <optgroup label="Endpoints">
              {endpoints.data?.map((candidate) => (
                <option key={candidate.name} value={`endpoint:${candidate.name}`}>
                  {candidate.name} ({candidate.trigger ?? 'http'} {candidate.uris.join(' ')} → {candidate.function})
                </option>
              ))}
            </optgroup>
          </select>
        </Field>
        {functions.data?.length === 0 && (
          <p class="empty">
            No functions yet: <a href={href('upload')}>upload one</a>.
          </p>
        )}
        <div class="samples" role="group" aria-label="Sample events">
          <span>Samples:</span>
          {SAMPLES.map((sample) => (
            <button key={sample.id} type="button" class="small" onClick={() => applySample(sample.id)}>
              {sample.label}
            </button>
          ))}
        </div>
        {endpoint && (endpoint.hosts?.length ?? 0) > 0 && (
          <p class="hint">
            This endpoint answers on {endpoint.hosts?.join(', ')} only: a browser cannot set the Host header, use its curl command.
          </p>
        )}
        {endpoint && endpoint.auth !== undefined && endpoint.auth !== 'public' && (
          <Field id="endpoint-authorization" label={`Authorization header (the endpoint's auth is ${endpoint.auth})`}>
            <input
              id="endpoint-authorization"
              autoComplete="off"
              value={authorization}
              onInput={(event) => setAuthorization(event.currentTarget.value)}
            />
          </Field>
        )}
        {endpoint && githubEvent && (
          <Field id="webhook-secret" label="Webhook secret value (signs the request; leave empty to send it unsigned)">
            <input
              id="webhook-secret"
              type="password"
              autoComplete="off"
              value={webhookSecret}
              onInput={(event) => setWebhookSecret(event.currentTarget.value)}
            />
          </Field>
        )}
        {signed && endpoint && (
          <p class="hint">
            GitHub event {githubEvent}: {signed}
          </p>
        )}
        {alexaSample && endpoint && (
          <p class="hint">
            Alexa request: unsigned (only Amazon can sign one), so an alexa endpoint takes it only from a gateway started with
            DISPATCH_ALEXA_VERIFY=off, for development.
          </p>
        )}
        <Field id="input" label={`Input (JSON${fn?.schema?.in ? ', checked against schema.in' : ''})`}>
          <textarea
            id="input"
            rows={10}
            spellcheck={false}
            value={input}
            aria-invalid={parsed.problems.length > 0}
            aria-describedby="input-problems"
            onInput={(event) => setInput(event.currentTarget.value)}
          />
        </Field>
        <div id="input-problems" aria-live="polite">
          {parsed.problems.map((line) => (
            <p key={line} class="error">
              {line}
            </p>
          ))}
        </div>
        <button type="submit" disabled={busy || parsed.problems.length > 0 || functionName === undefined}>
          {busy ? 'Running…' : 'Run'}
        </button>
      </form>
      <Problem error={problem} title="The run failed" />
      {output && (
        <section aria-labelledby="endpoint-answer">
          <h2 id="endpoint-answer">Endpoint answer (HTTP {output.status})</h2>
          {speechOf(output.value) !== undefined && (
            <p class="speech">
              Alexa says: <q>{speechOf(output.value)}</q>
            </p>
          )}
          <Json value={output.value} label="Endpoint answer" />
        </section>
      )}
      {run && <RunResult run={run} />}
      {exchange && <RawExchange exchange={exchange} />}
    </>
  );
}
