import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { DispatchFunction, Endpoint, Secret } from '../api/types.js';
import { CopyButton, Empty, Field, Loading, NAME_PATTERN, Problem, StatusBadge } from '../components.js';
import { useApi } from '../hooks.js';
import { href } from '../route.js';
import { endpointUrl } from './tester.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A curl command that calls the endpoint as its users would (with the Host it answers on, if any). */
export function curlCommand(endpoint: Endpoint): string {
  const url = endpointUrl(endpoint);
  const host = endpoint.hosts?.[0];
  const method =
    endpoint.methods.map((m) => m.toUpperCase()).includes('POST') || endpoint.methods.length === 0
      ? 'POST'
      : (endpoint.methods[0] ?? 'GET').toUpperCase();
  const parts = ['curl', '-sS'];
  if (host) parts.push('-H', `'Host: ${host}'`);
  if (endpoint.auth === 'bearer') parts.push('-H', "'Authorization: Bearer <token>'");
  if (endpoint.auth === 'basic') parts.push('-u', "'<user>:<password>'");
  if (endpoint.auth === 'apiKey') parts.push('-H', `'${endpoint.authHeader ?? 'x-api-key'}: <key>'`);
  if (method === 'GET') parts.push(`'${url}'`);
  else parts.push('-X', method, '-H', "'Content-Type: application/json'", '-d', `'{"name": "user"}'`, `'${url}'`);
  return parts.join(' ');
}

interface Form {
  name: string;
  fn: string;
  path: string;
  methods: string[];
  auth: string;
  authSecret: string;
  authHeader: string;
  trigger: string;
  applicationIds: string;
  events: string;
  topicArns: string;
}

/** A list typed as words separated by spaces or commas. */
const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** Endpoints: every endpoint with its URL and a curl command to copy, and a form to create one. */
export function EndpointsPage({ params }: { params: URLSearchParams }) {
  const endpoints = useApi<Endpoint[]>('/v1/endpoint');
  const functions = useApi<DispatchFunction[]>('/v1/function');
  const secrets = useApi<Secret[]>('/v1/secret');
  const preset = params.get('function') ?? '';
  const [form, setForm] = useState<Form>({
    name: preset,
    fn: preset,
    path: preset ? `/${preset}` : '',
    methods: ['GET', 'POST'],
    auth: 'public',
    authSecret: '',
    authHeader: 'x-api-key',
    trigger: 'http',
    applicationIds: '',
    events: 'push',
    topicArns: '',
  });
  const [problem, setProblem] = useState<string>();
  const [created, setCreated] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (field: keyof Form) => (event: { currentTarget: { value: string } }) =>
    setForm((previous) => ({ ...previous, [field]: event.currentTarget.value }));

  async function create(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    setCreated(undefined);
    try {
      await api<Endpoint>('POST', '/v1/endpoint', {
        name: form.name,
        function: form.fn,
        uris: [form.path],
        methods: form.methods,
        auth: form.auth,
        ...((form.auth !== 'public' || form.trigger === 'github') && form.authSecret !== '' ? { authSecret: form.authSecret } : {}),
        ...(form.auth === 'apiKey' && form.authHeader !== '' ? { authHeader: form.authHeader } : {}),
        ...(form.trigger === 'http' ? {} : { trigger: form.trigger }),
        ...(form.trigger === 'alexa' ? { triggerSettings: { applicationIds: words(form.applicationIds) } } : {}),
        ...(form.trigger === 'github' ? { triggerSettings: { events: words(form.events) } } : {}),
        ...(form.trigger === 'sns' ? { triggerSettings: { topicArns: words(form.topicArns) } } : {}),
      });
      setCreated(form.name);
      endpoints.reload();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Endpoints</h1>
      <Problem error={endpoints.error} title="Could not read endpoints" />
      {endpoints.data === undefined ? (
        endpoints.loading && <Loading what="endpoints" />
      ) : endpoints.data.length === 0 ? (
        <Empty>No endpoints yet: create one below.</Empty>
      ) : (
        <ul class="endpoints">
          {endpoints.data.map((endpoint) => (
            <li key={endpoint.name} data-name={endpoint.name} class={created === endpoint.name ? 'just-created' : undefined}>
              <h2>
                {endpoint.name} <StatusBadge status={endpoint.status} />
              </h2>
              {endpoint.reason && <p class="reason">{endpoint.reason}</p>}
              <p>
                {(endpoint.trigger ?? 'http').toUpperCase()} · {endpoint.methods.join(', ')} · auth {endpoint.auth ?? 'public'} → function{' '}
                <a href={href('runs', { function: endpoint.function })}>{endpoint.function}</a> ·{' '}
                <a href={href('tester', { endpoint: endpoint.name })}>test it</a>
              </p>
              <p>
                URL:{' '}
                <a class="endpoint-url" href={endpointUrl(endpoint)}>
                  {endpointUrl(endpoint)}
                </a>
              </p>
              <pre class="code curl" aria-label={`curl command for ${endpoint.name}`} tabIndex={0}>
                {curlCommand(endpoint)}
              </pre>
              <CopyButton text={curlCommand(endpoint)} label="Copy the curl command" />
            </li>
          ))}
        </ul>
      )}
      <section aria-labelledby="create-endpoint">
        <h2 id="create-endpoint">Create an endpoint</h2>
        <form onSubmit={create}>
          <div class="grid">
            <Field id="ep-name" label="Name">
              <input id="ep-name" required pattern={NAME_PATTERN} maxLength={63} value={form.name} onInput={set('name')} />
            </Field>
            <Field id="ep-function" label="Function">
              <select
                id="ep-function"
                required
                value={form.fn}
                onChange={(event) => {
                  const fn = event.currentTarget.value;
                  setForm((previous) => ({ ...previous, fn, name: previous.name || fn, path: previous.path || `/${fn}` }));
                }}
              >
                <option value="">{functions.loading ? 'Loading functions…' : 'Choose a function'}</option>
                {functions.data?.map((fn) => (
                  <option key={fn.name} value={fn.name}>
                    {fn.name} ({fn.status})
                  </option>
                ))}
              </select>
            </Field>
            <Field id="ep-path" label="Path" hint="exact (/hello) or a prefix ending in /*">
              <input id="ep-path" required pattern="/.*" value={form.path} onInput={set('path')} aria-describedby="ep-path-hint" />
            </Field>
            <Field id="ep-trigger" label="Trigger">
              <select id="ep-trigger" value={form.trigger} onChange={set('trigger')}>
                <option value="http">HTTP</option>
                <option value="alexa">Alexa skill</option>
                <option value="github">GitHub webhook</option>
                <option value="sns">Amazon SNS topic</option>
              </select>
            </Field>
            {form.trigger === 'alexa' && (
              <Field id="ep-skills" label="Skill applicationIds" hint="the skills allowed to call it, separated by spaces or commas">
                <input
                  id="ep-skills"
                  required
                  value={form.applicationIds}
                  onInput={set('applicationIds')}
                  aria-describedby="ep-skills-hint"
                />
              </Field>
            )}
            {form.trigger === 'github' && (
              <>
                <Field id="ep-webhook-secret" label="Secret holding the webhook secret" hint="every value of it is accepted (rotation)">
                  <select
                    id="ep-webhook-secret"
                    required
                    value={form.authSecret}
                    onChange={set('authSecret')}
                    aria-describedby="ep-webhook-secret-hint"
                  >
                    <option value="">{secrets.data?.length === 0 ? 'No secrets yet' : 'Choose a secret'}</option>
                    {secrets.data?.map((secret) => (
                      <option key={secret.name} value={secret.name}>
                        {secret.name}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field id="ep-events" label="GitHub events it runs" hint="e.g. push pull_request, or * for all">
                  <input id="ep-events" required value={form.events} onInput={set('events')} aria-describedby="ep-events-hint" />
                </Field>
              </>
            )}
            {form.trigger === 'sns' && (
              <Field id="ep-topics" label="SNS topic ARNs" hint="arn:aws:sns:region:account:topic, separated by spaces or commas">
                <input id="ep-topics" required value={form.topicArns} onInput={set('topicArns')} aria-describedby="ep-topics-hint" />
              </Field>
            )}
            <Field id="ep-auth" label="Auth">
              <select id="ep-auth" value={form.auth} onChange={set('auth')}>
                <option value="public">public</option>
                <option value="basic">basic</option>
                <option value="bearer">bearer</option>
                <option value="apiKey">API key in a header</option>
              </select>
            </Field>
            {form.auth === 'apiKey' && (
              <Field
                id="ep-auth-header"
                label="API key header"
                hint="the header callers put the key in (EventBridge: the connection's API key name)"
              >
                <input
                  id="ep-auth-header"
                  required
                  maxLength={64}
                  value={form.authHeader}
                  onInput={set('authHeader')}
                  aria-describedby="ep-auth-header-hint"
                />
              </Field>
            )}
            {form.auth !== 'public' && (
              <Field
                id="ep-secret"
                label={form.auth === 'apiKey' ? 'Secret with the accepted API keys' : 'Secret with the allowed users or tokens'}
              >
                <select id="ep-secret" value={form.authSecret} onChange={set('authSecret')}>
                  <option value="">Choose a secret</option>
                  {secrets.data?.map((secret) => (
                    <option key={secret.name} value={secret.name}>
                      {secret.name}
                    </option>
                  ))}
                </select>
              </Field>
            )}
          </div>
          <fieldset>
            <legend>Methods</legend>
            {METHODS.map((method) => (
              <label key={method} class="check">
                <input
                  type="checkbox"
                  checked={form.methods.includes(method)}
                  onChange={(event) => {
                    const on = event.currentTarget.checked;
                    setForm((previous) => ({
                      ...previous,
                      methods: on ? [...previous.methods, method] : previous.methods.filter((m) => m !== method),
                    }));
                  }}
                />
                {method}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create the endpoint'}
          </button>
        </form>
        <Problem error={problem} title="Could not create the endpoint" />
        {created && (
          <p role="status" class="ok">
            Endpoint {created} created.
          </p>
        )}
      </section>
    </>
  );
}
