import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { DispatchFunction, Endpoint, Secret } from '../api/types.js';
import { CopyButton, Empty, Field, Loading, Problem, StatusBadge } from '../components.js';
import { useApi } from '../hooks.js';
import { href } from '../route.js';
import { FunctionSelect, NameField, SecretSelect } from './form-fields.js';
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
  // The signature covers the timestamp and the exact body sent (docs/endpoints.md shows how to compute it).
  if (endpoint.auth === 'hmac') {
    parts.push('-H', "'X-Dispatch-Timestamp: <seconds>'", '-H', "'X-Dispatch-Signature: sha256=<HMAC-SHA256 of seconds.body>'");
  }
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

/** What the auth secret holds, by auth. */
const AUTH_SECRET: Record<string, { label: string; hint?: string }> = {
  basic: { label: 'Secret with the allowed users' },
  bearer: { label: 'Secret with the accepted tokens' },
  apiKey: { label: 'Secret with the accepted API keys' },
  hmac: {
    label: 'Secret with the signing keys',
    hint: 'callers send X-Dispatch-Timestamp and X-Dispatch-Signature: sha256=HMAC-SHA256(key, timestamp.body); any value of the secret signs (rotation)',
  },
};

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
  const set = (field: keyof Form) => (event: { currentTarget: { value: string } }) => setValue(field)(event.currentTarget.value);
  const setValue = (field: keyof Form) => (value: string) => setForm((previous) => ({ ...previous, [field]: value }));

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
            <NameField id="ep-name" value={form.name} onValue={setValue('name')} />
            <FunctionSelect
              id="ep-function"
              functions={functions}
              value={form.fn}
              onValue={(fn) => setForm((previous) => ({ ...previous, fn, name: previous.name || fn, path: previous.path || `/${fn}` }))}
            />
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
                <SecretSelect
                  id="ep-webhook-secret"
                  label="Secret holding the webhook secret"
                  hint="every value of it is accepted (rotation)"
                  required
                  secrets={secrets}
                  value={form.authSecret}
                  onValue={setValue('authSecret')}
                />
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
                <option value="hmac">HMAC-signed requests</option>
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
              <SecretSelect
                id="ep-secret"
                {...(AUTH_SECRET[form.auth] ?? { label: 'Secret' })}
                required
                secrets={secrets}
                value={form.authSecret}
                onValue={setValue('authSecret')}
              />
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
