import type { CreateInput, Endpoint, EndpointAuth, EndpointTrigger, UpdateInput } from '../domain/types.js';
import { endpointFunctions, normalizeTriggerSettings } from '../domain/trigger-settings.js';
import { assertStringList } from '../domain/validation.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import type { EndpointService } from './dispatch-service.js';
import { EndpointMatcher, normalizeHost, normalizePath } from './endpoint-matcher.js';
import type { ServiceContext } from './service-context.js';

const AUTHS: readonly EndpointAuth[] = ['public', 'basic', 'bearer', 'hmac', 'apiKey'];
const TRIGGERS: readonly EndpointTrigger[] = ['http', 'alexa', 'github', 'sns'];
/** An HTTP header name (RFC 9110 token), at most 64 characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
/** The header an `apiKey` endpoint reads when it names none: what EventBridge connections and most gateways use. */
const DEFAULT_API_KEY_HEADER = 'x-api-key';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', '*']);

type EndpointFields = Omit<Endpoint, 'name' | 'id' | 'createdTime' | 'modifiedTime' | 'revision' | 'tags' | 'status' | 'reason'>;

/** Endpoints: host/path/method routes on the gateway's ingress that run a function. */
export function createEndpointService(context: ServiceContext): EndpointService & { reload(): Promise<void> } {
  const lifecycle = context.lifecycles.endpoint;
  const matcher = new EndpointMatcher();

  async function reload(): Promise<void> {
    matcher.rebuild(await lifecycle.repo.list());
  }

  async function normalize(name: string, input: Partial<EndpointFields>, previous?: Endpoint): Promise<EndpointFields> {
    const trigger = input.trigger ?? previous?.trigger ?? 'http';
    if (!TRIGGERS.includes(trigger)) throw new InvalidInputError(`endpoint "${name}": trigger must be one of ${TRIGGERS.join(', ')}`);
    // An Alexa endpoint may route every request through its intents map: its own function is then optional.
    const fn = input.function ?? previous?.function ?? (trigger === 'alexa' ? '' : undefined);
    if (typeof fn !== 'string' || (fn === '' && trigger !== 'alexa'))
      throw new InvalidInputError(`endpoint "${name}": function is required`);
    const triggerSettings = normalizeTriggerSettings(
      name,
      trigger,
      input.triggerSettings ?? (input.trigger === undefined || input.trigger === previous?.trigger ? previous?.triggerSettings : undefined),
    );
    for (const used of endpointFunctions({ function: fn, trigger, triggerSettings })) await context.lifecycles.function.get(used);

    const uris = (input.uris ?? previous?.uris ?? ['/']).map((uri) => (typeof uri === 'string' ? normalizePath(uri.trim()) : uri));
    assertStringList(uris, 'uris');
    const badUri = uris.find((uri) => !uri.startsWith('/'));
    if (badUri !== undefined) throw new InvalidInputError(`endpoint "${name}": path "${badUri}" must start with "/"`);
    // A path that climbs (`..`) or hides a slash or a dot (`%2F`, `%5C`, `%2E`) means one thing to Dispatch and
    // another to a proxy in front of it: refused rather than guessed at.
    const unsafeUri = uris.find(
      (uri) => uri.split('/').some((segment) => segment === '..' || segment === '.') || /%(?:2f|5c|2e)|\\/i.test(uri),
    );
    if (unsafeUri !== undefined) {
      throw new InvalidInputError(
        `endpoint "${name}": path "${unsafeUri}" may not contain "..", "." segments, backslashes or encoded slashes`,
      );
    }
    if (uris.some((uri) => uri === '/v1' || uri.startsWith('/v1/') || uri === '/healthz')) {
      throw new InvalidInputError(`endpoint "${name}": paths under /v1 and /healthz belong to the Dispatch API`);
    }

    // Alexa, GitHub and SNS only ever POST.
    const methods = (input.methods ?? previous?.methods ?? (trigger === 'http' ? ['GET'] : ['POST'])).map((method) =>
      typeof method === 'string' ? method.toUpperCase() : method,
    );
    assertStringList(methods, 'methods');
    const badMethod = methods.find((method) => !METHODS.has(method));
    if (badMethod !== undefined) throw new InvalidInputError(`endpoint "${name}": unknown method "${badMethod}"`);

    const hosts = (input.hosts ?? previous?.hosts ?? []).map((host) => (typeof host === 'string' ? normalizeHost(host.trim()) : host));
    assertStringList(hosts, 'hosts');

    const auth = input.auth ?? previous?.auth ?? 'public';
    if (!AUTHS.includes(auth)) throw new InvalidInputError(`endpoint "${name}": auth must be one of ${AUTHS.join(', ')}`);
    const authSecret = input.authSecret ?? previous?.authSecret;
    if (trigger === 'github' && !authSecret) {
      throw new InvalidInputError(
        `endpoint "${name}": a github endpoint needs authSecret, a secret holding the webhook secret (every value is accepted, for rotation)`,
      );
    }
    if (auth !== 'public' || trigger === 'github') {
      if (!authSecret)
        throw new InvalidInputError(
          `endpoint "${name}": auth "${auth}" needs authSecret, a secret holding the ${auth === 'basic' ? 'users and passwords' : auth === 'apiKey' ? 'accepted API keys' : 'accepted tokens'}`,
        );
      await context.lifecycles.secret.get(authSecret);
    }
    const givenHeader = input.authHeader ?? (input.auth === undefined || input.auth === previous?.auth ? previous?.authHeader : undefined);
    if (givenHeader !== undefined && auth !== 'apiKey') throw new InvalidInputError(`endpoint "${name}": authHeader is for auth "apiKey"`);
    if (givenHeader !== undefined && (typeof givenHeader !== 'string' || !HEADER_NAME.test(givenHeader))) {
      throw new InvalidInputError(`endpoint "${name}": authHeader must be an HTTP header name such as x-api-key`);
    }
    const authHeader = auth === 'apiKey' ? (givenHeader ?? DEFAULT_API_KEY_HEADER).toLowerCase() : undefined;

    const fields: EndpointFields = {
      function: fn,
      hosts,
      uris,
      methods,
      protocols: input.protocols ?? previous?.protocols ?? ['http', 'https'],
      cors: input.cors ?? previous?.cors ?? false,
      enabled: input.enabled ?? previous?.enabled ?? true,
      auth,
      trigger,
    };
    if (authSecret) fields.authSecret = authSecret;
    if (authHeader) fields.authHeader = authHeader;
    if (triggerSettings) fields.triggerSettings = triggerSettings;
    return fields;
  }

  /** Two enabled endpoints may not claim the same host, path and method. */
  async function assertNoOverlap(name: string, fields: EndpointFields): Promise<void> {
    if (!fields.enabled) return;
    for (const other of await lifecycle.repo.list()) {
      if (other.name === name || !other.enabled) continue;
      const hostsOverlap = fields.hosts.length === 0 ? other.hosts.length === 0 : fields.hosts.some((host) => other.hosts.includes(host));
      const path = fields.uris.find((uri) => other.uris.includes(uri));
      const method = fields.methods.find((m) => other.methods.includes(m) || m === '*' || other.methods.includes('*'));
      if (hostsOverlap && path !== undefined && method !== undefined) {
        throw new ConflictError(`endpoint "${name}": ${method} ${path} is already served by endpoint "${other.name}"`);
      }
    }
  }

  return {
    reload,
    match: (host, path, method) => matcher.match(host, path, method),

    async create(input: CreateInput<Endpoint>) {
      const meta = lifecycle.newMeta(input.name, input.tags);
      const fields = await normalize(meta.name, input);
      await assertNoOverlap(meta.name, fields);
      const entity: Endpoint = { ...meta, ...fields, status: 'READY' };
      await lifecycle.insert(entity);
      await reload();
      return entity;
    },

    get: (name) => lifecycle.get(name),
    list: (filter) => lifecycle.repo.list(filter),

    async update(name: string, input: UpdateInput<Endpoint>) {
      const fields = await normalize(name, input, await lifecycle.get(name));
      await assertNoOverlap(name, fields);
      // A header name left from an earlier apiKey auth would only mislead whoever reads the endpoint.
      const updated = await lifecycle.modify(
        name,
        ({ authHeader: _previousHeader, ...current }) => ({
          ...current,
          ...fields,
          tags: input.tags ?? current.tags,
          status: 'READY',
          reason: '',
        }),
        input.revision,
      );
      await reload();
      return updated;
    },

    async delete(name: string) {
      const endpoint = await lifecycle.get(name);
      await lifecycle.remove(name);
      await reload();
      return { ...endpoint, status: 'DELETING' };
    },

    watch: (name, options) => lifecycle.watch(name, options),

    waitUntilReady: (name, options) => lifecycle.waitUntilReady(name, options),
  };
}
