import { registerCrudRoutes } from './crud.js';
import type { AdminRoutes } from './typed-routes.js';

const revealQuery = {
  reveal: { type: 'boolean', default: false, description: 'Answer the values instead of `<hidden>`' },
};

/** `/v1/secret`: CRUD of secrets, whose values are answered as `<hidden>` unless `?reveal=true`. */
export const secretsRoutes: AdminRoutes = async (app, { dispatch }) => {
  const { secrets } = dispatch;
  registerCrudRoutes(app, {
    kind: 'secret',
    schemaId: 'Secret',
    tag: 'secrets',
    service: secrets,
    query: revealQuery,
    read: (name, query) => secrets.view(name, { reveal: query.reveal === true }),
    list: async (filter, query) => {
      const listed = await secrets.list(filter);
      if (query.reveal !== true) return listed;
      return Promise.all(listed.map((secret) => secrets.view(secret.name, { reveal: true })));
    },
  });
};
