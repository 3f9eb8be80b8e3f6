import type { CreateInput, Secret, UpdateInput } from '../domain/types.js';
import { assertStringMap } from '../domain/validation.js';
import type { SecretService } from './dispatch-service.js';
import type { ServiceContext } from './service-context.js';

const HIDDEN = '<hidden>';

/** Secrets: string maps handed to functions as `context.secrets` on every run. READY as soon as stored. */
export function createSecretService(context: ServiceContext): Omit<SecretService, 'values'> {
  const lifecycle = context.lifecycles.secret;

  const hide = (secret: Secret): Secret => ({
    ...secret,
    secrets: Object.fromEntries(Object.keys(secret.secrets).map((key) => [key, HIDDEN])),
  });

  return {
    async create(input: CreateInput<Secret>) {
      const meta = lifecycle.newMeta(input.name, input.tags);
      const secrets = input.secrets ?? {};
      assertStringMap(secrets, 'secrets');
      const entity: Secret = { ...meta, secrets, status: 'READY' };
      await lifecycle.insert(entity);
      return hide(entity);
    },

    get: (name) => lifecycle.get(name),
    view: async (name, options = {}) => {
      const secret = await lifecycle.get(name);
      return options.reveal ? secret : hide(secret);
    },
    list: async (filter) => (await lifecycle.repo.list(filter)).map(hide),

    async update(name: string, input: UpdateInput<Secret>) {
      if (input.secrets !== undefined) assertStringMap(input.secrets, 'secrets');
      const updated = await lifecycle.modify(
        name,
        (current) => ({ ...current, secrets: input.secrets ?? current.secrets, tags: input.tags ?? current.tags }),
        input.revision,
      );
      return hide(updated);
    },

    async delete(name: string) {
      const secret = await lifecycle.get(name);
      const functions = (await context.lifecycles.function.repo.list()).filter((fn) => fn.secrets.includes(name));
      const endpoints = (await context.lifecycles.endpoint.repo.list()).filter((endpoint) => endpoint.authSecret === name);
      const users = [...functions.map((f) => `function "${f.name}"`), ...endpoints.map((e) => `endpoint "${e.name}"`)];
      lifecycle.assertUnused(name, users);
      await lifecycle.remove(name);
      return { ...hide(secret), status: 'DELETING' };
    },

    watch: (name, options) => lifecycle.watch(name, options),

    waitUntilReady: async (name, options) => hide(await lifecycle.waitUntilReady(name, options)),
  };
}
