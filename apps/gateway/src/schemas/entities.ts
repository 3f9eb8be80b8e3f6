import { entityMetaProperties, stringList, stringMap } from './common.js';

type Properties = Record<string, object>;

export interface EntitySchemas {
  /** The entity as answered. */
  entity: object;
  /** The body of `POST /v1/<kind>`. */
  create: object;
  /** The body of `PUT /v1/<kind>/{name}`. */
  update: object;
}

/**
 * The three schemas of an entity kind. Bodies drop the fields they don't know (`additionalProperties: false`
 * with ajv's `removeAdditional`) rather than fail, since existing clients send extras such as `kind`, and
 * fields Dispatch fills in itself (`id`, `status`, times) are dropped the same way.
 */
function entitySchemas(id: string, fields: Properties, answeredFields: Properties = {}): EntitySchemas {
  const tags = { type: 'array', items: { $ref: 'Tag#' } };
  return {
    entity: {
      $id: id,
      type: 'object',
      additionalProperties: true,
      properties: { ...entityMetaProperties, ...fields, ...answeredFields },
    },
    create: {
      $id: `${id}Create`,
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, tags, ...fields },
    },
    update: {
      $id: `${id}Update`,
      type: 'object',
      additionalProperties: false,
      properties: {
        tags,
        revision: { type: 'integer', description: 'When given, must be the stored revision (optimistic concurrency)' },
        ...fields,
      },
    },
  };
}

export const baseImageSchemas = entitySchemas('BaseImage', {
  imageURL: { type: 'string' },
  language: { type: 'string', description: '`nodejs` or `python3`' },
});

export const imageSchemas = entitySchemas('Image', {
  baseImage: { type: 'string', description: 'A base image name, or an image URL' },
  language: { type: 'string' },
  imageURL: { type: 'string' },
  runtimeDependencies: {
    type: 'object',
    additionalProperties: false,
    properties: {
      manifest: { type: 'string', description: 'package.json or requirements.txt text' },
      allowScripts: {
        type: 'boolean',
        description: "run the packages' install scripts (npm lifecycle scripts, pip builds from source); default false",
      },
    },
  },
  systemDependencies: {
    type: 'object',
    additionalProperties: false,
    properties: {
      packages: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string' }, version: { type: 'string' } },
        },
      },
    },
  },
});

export const functionSchemas = entitySchemas('Function', {
  image: { type: 'string' },
  source: { type: 'string', description: "A base64 tar.gz of the function's file or folder" },
  handler: { type: 'string' },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      in: { description: "JSON Schema every run's input must match" },
      out: { description: "JSON Schema every run's output must match" },
    },
  },
  secrets: stringList,
  timeout: { type: 'number', description: 'Milliseconds a run may take' },
  maxAttempts: { type: 'integer', description: 'Async runs are tried this many times when the function fails (default 1)' },
  replicas: { type: 'integer', description: 'Replicas of a function that does not autoscale; where an autoscaled one starts' },
  // null removes the setting on update (the function then keeps a fixed number of replicas).
  minReplicas: { type: ['integer', 'null'], description: 'Autoscaling: the fewest replicas, 0 to 100; 0 stops an idle function' },
  maxReplicas: { type: ['integer', 'null'], description: 'Autoscaling: the most replicas, 1 to 100' },
  targetConcurrency: {
    type: ['integer', 'null'],
    description: 'Autoscaling: calls in flight per replica before another is added (default 10)',
  },
  scale: {
    type: 'object',
    additionalProperties: false,
    properties: { min: { type: 'integer' }, max: { type: 'integer' } },
  },
  limits: {
    type: 'object',
    description: 'Memory and CPU each replica may use (swarm, knative; the local backend ignores them)',
    // Unknown fields reach core, which refuses them: a stripped typo would silently remove the limits.
    properties: { memoryMB: { type: 'integer', description: 'Megabytes' }, cpus: { type: 'number', description: 'CPUs, e.g. 0.5' } },
  },
  env: stringMap,
  functionImageURL: { type: 'string' },
  protocol: { type: 'string', description: '`dispatch`, or `funker` for a plain funker function image' },
  language: { type: 'string' },
});

export const secretSchemas = entitySchemas('Secret', {
  secrets: { ...stringMap, description: 'Values are answered as `<hidden>` unless asked for with `?reveal=true`' },
});

export const endpointSchemas = entitySchemas('Endpoint', {
  function: { type: 'string', description: 'Optional on an alexa endpoint that routes by its intents' },
  hosts: { ...stringList, description: 'Host names to match; empty matches any host' },
  uris: { ...stringList, description: 'Paths: exact (`/hello`) or a prefix ending in `/*`' },
  methods: stringList,
  protocols: stringList,
  cors: {
    anyOf: [
      { type: 'boolean' },
      {
        type: 'object',
        additionalProperties: false,
        properties: { enabled: { type: 'boolean' }, origins: stringList },
      },
    ],
  },
  enabled: { type: 'boolean' },
  auth: {
    type: 'string',
    description: '`public`, `basic`, `bearer`, `hmac` (a signature of the raw body) or `apiKey` (a key in a header), see docs/endpoints.md',
  },
  authSecret: {
    type: 'string',
    description:
      'The secret holding the users (basic), tokens (bearer), signing keys (hmac), API keys (apiKey) or GitHub webhook secrets (github) allowed; every value of it is valid',
  },
  authHeader: { type: 'string', description: 'apiKey: the request header holding the key (default x-api-key)' },
  trigger: { type: 'string', description: '`http`, `alexa`, `github` or `sns`' },
  triggerSettings: {
    type: 'object',
    // Core checks the fields against the trigger and names any it does not know.
    additionalProperties: true,
    description: 'alexa: `applicationIds`, `intents`, `launch`, `sessionEnded`, `timeoutMs`; github: `events`; sns: `topicArns`',
    properties: {
      applicationIds: { ...stringList, description: 'alexa: the skills allowed to call (others get 401)' },
      intents: { ...stringMap, description: 'alexa: intent name → function' },
      launch: { type: 'string', description: 'alexa: the function answering LaunchRequest' },
      sessionEnded: { type: 'string', description: 'alexa: the function told of SessionEndedRequest' },
      timeoutMs: { type: 'integer', description: 'alexa: ms before a spoken error (default 7000)' },
      events: { ...stringList, description: 'github: X-GitHub-Event values that run the function (default push; * for all)' },
      topicArns: { ...stringList, description: 'sns: the topics whose messages are accepted (others get 403)' },
    },
  },
});

export const scheduleSchemas = entitySchemas(
  'Schedule',
  {
    function: { type: 'string', description: 'The function each tick runs (asynchronously, through the run queue)' },
    cron: { type: 'string', maxLength: 256, description: 'Five fields (`0 2 * * *`), or six with seconds first (`*/10 * * * * *`)' },
    timezone: { type: 'string', description: 'The IANA time zone the expression is read in (default `UTC`)' },
    input: { description: 'The payload of every run (at most 64 KiB of JSON)' },
    enabled: { type: 'boolean', description: 'A disabled schedule keeps its settings and runs nothing (default true)' },
  },
  { nextRuns: { type: 'array', items: { type: 'integer' }, description: 'The next tick times, Unix seconds; empty when disabled' } },
);

export const allEntitySchemas: readonly EntitySchemas[] = [
  baseImageSchemas,
  imageSchemas,
  functionSchemas,
  secretSchemas,
  endpointSchemas,
  scheduleSchemas,
];
