import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { errorResponses, nameParams } from '../../schemas/common.js';
import { runFailure } from '../../run-failure.js';
import type { runRequestSchema } from '../../schemas/runs.js';
import type { AdminRoutes } from './typed-routes.js';
import { noteRun } from '../../metrics/metrics-plugin.js';

const runResponses = {
  200: { $ref: 'Run#' },
  202: { $ref: 'Run#' },
  '4xx': { $ref: 'RunFailure#' },
  '5xx': { $ref: 'RunFailure#' },
} as const;

const runHeaders = {
  type: 'object',
  properties: {
    'x-callback-url': { type: 'string', description: 'Async runs: POST the finished run here (as callbackURL)' },
    'idempotency-key': { type: 'string', description: 'Async runs: the same key within its window returns the same run' },
  },
} as const;

const runQuery = {
  type: 'object',
  required: ['functionName'],
  properties: { functionName: { type: 'string' } },
} as const;

/** One answer holds at most this many runs: each may carry megabytes of input, output and logs. */
export const MAX_RUNS_LISTED = 1000;

const listQuery = {
  type: 'object',
  properties: {
    functionName: { type: 'string' },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_RUNS_LISTED,
      description: `At most this many runs, newest first (default 100, at most ${MAX_RUNS_LISTED})`,
    },
    offset: {
      type: 'integer',
      minimum: 0,
      description: 'Skip this many of the newest runs first: with limit, pages through the list (default 0)',
    },
    failed: { type: 'boolean', description: 'Only the dead letters: async runs that failed for good' },
    schedule: { type: 'string', minLength: 1, maxLength: 63, description: 'Only the runs this schedule started' },
  },
} as const;

const functionRunsQuery = {
  type: 'object',
  properties: { limit: listQuery.properties.limit, offset: listQuery.properties.offset, failed: listQuery.properties.failed },
} as const;

const listResponses = { 200: { type: 'array', items: { $ref: 'Run#' } }, ...errorResponses } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;

type RunRequestBody = FromSchema<typeof runRequestSchema>;
type RunHeaders = FromSchema<typeof runHeaders>;

/**
 * Runs: `POST /v1/runs?functionName=` (and V1's `POST /v1/function/{name}/runs`), `GET /v1/runs`, `GET /v1/runs/{id}`,
 * `POST /v1/runs/{id}/requeue`. A blocking run answers 200 with the run; a failed one still answers with the run,
 * plus `code` and `message`, with the status of its failure. `blocking: false` answers 202 once the run is queued.
 */
export const runsRoutes: AdminRoutes = async (app, { dispatch }) => {
  const { runs } = dispatch;

  // A run without a body runs the function with no input, as `dispatch exec` with empty stdin does.
  const defaultBody = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    request.body ??= {};
    done();
  };

  async function execute(functionName: string, body: RunRequestBody | undefined, headers: RunHeaders, reply: FastifyReply) {
    const blocking = body?.blocking ?? true;
    const run = await runs.execute(functionName, body?.input, {
      blocking,
      secrets: body?.secrets,
      maxAttempts: body?.maxAttempts,
      callbackURL: body?.callbackURL ?? headers['x-callback-url'],
      idempotencyKey: headers['idempotency-key'],
    });
    if (!blocking) return reply.code(202).send(run);
    noteRun(reply, run);
    const failure = runFailure(run);
    if (failure === undefined) return reply.send(run);
    return reply.code(failure.code).send({ ...run, ...failure });
  }

  app.post(
    '/runs',
    {
      schema: {
        operationId: 'runFunction',
        summary: 'Run a function',
        tags: ['runs'],
        querystring: runQuery,
        headers: runHeaders,
        body: { $ref: 'RunRequest#' },
        response: runResponses,
      },
      preValidation: defaultBody,
    },
    (request, reply) => execute(request.query.functionName, request.body, request.headers, reply),
  );

  app.post(
    '/function/:name/runs',
    {
      schema: {
        operationId: 'runNamedFunction',
        summary: 'Run a function (the V1 path)',
        tags: ['runs'],
        params: nameParams,
        headers: runHeaders,
        body: { $ref: 'RunRequest#' },
        response: runResponses,
      },
      preValidation: defaultBody,
    },
    (request, reply) => execute(request.params.name, request.body, request.headers, reply),
  );

  app.get(
    '/runs',
    {
      schema: {
        operationId: 'listRuns',
        summary: 'List runs, newest first',
        tags: ['runs'],
        querystring: listQuery,
        response: listResponses,
      },
    },
    async ({ query }) =>
      runs.list({
        functionName: query.functionName,
        limit: query.limit,
        offset: query.offset,
        deadLettered: query.failed,
        schedule: query.schedule,
      }),
  );

  app.get(
    '/function/:name/runs',
    {
      schema: {
        operationId: 'listFunctionRuns',
        summary: "List a function's runs, newest first (the V1 path)",
        tags: ['runs'],
        params: nameParams,
        querystring: functionRunsQuery,
        response: listResponses,
      },
    },
    async ({ params, query }) =>
      runs.list({ functionName: params.name, limit: query.limit, offset: query.offset, deadLettered: query.failed }),
  );

  app.get(
    '/runs/:id',
    {
      schema: {
        operationId: 'getRun',
        summary: 'Get a run',
        tags: ['runs'],
        params: idParams,
        response: { 200: { $ref: 'Run#' }, ...errorResponses },
      },
    },
    async (request) => runs.get(request.params.id),
  );

  app.post(
    '/runs/:id/requeue',
    {
      schema: {
        operationId: 'requeueRun',
        summary: 'Queue a dead-lettered run again',
        tags: ['runs'],
        params: idParams,
        response: { 202: { $ref: 'Run#' }, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(202).send(await runs.requeue(request.params.id)),
  );
};
