import type { Dispatch } from '@dispatch/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponses, nameParams } from '../../schemas/common.js';
import { runFailure } from '../../run-failure.js';

interface RunRequestBody {
  input?: unknown;
  blocking: boolean;
  secrets?: string[];
}

const runResponses = {
  200: { $ref: 'Run#' },
  202: { $ref: 'Run#' },
  '4xx': { $ref: 'RunFailure#' },
  '5xx': { $ref: 'RunFailure#' },
} as const;

const listQuery = {
  type: 'object',
  properties: {
    functionName: { type: 'string' },
    limit: { type: 'integer', minimum: 1, description: 'At most this many runs, newest first' },
  },
} as const;

const listResponses = { 200: { type: 'array', items: { $ref: 'Run#' } }, ...errorResponses } as const;

/**
 * Runs: `POST /v1/runs?functionName=` (and V1's `POST /v1/function/{name}/runs`), `GET /v1/runs`, `GET /v1/runs/{id}`.
 * A blocking run answers 200 with the run; a failed one still answers with the run, plus `code` and `message`,
 * with the status of its failure. `blocking: false` answers 202 at once.
 */
export const runsRoutes: FastifyPluginAsync<{ dispatch: Dispatch }> = async (app, { dispatch }) => {
  const { runs } = dispatch;

  // A run without a body runs the function with no input, as `dispatch exec` with empty stdin does.
  const defaultBody = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    request.body ??= {};
    done();
  };

  async function execute(functionName: string, body: RunRequestBody | undefined, reply: FastifyReply) {
    const blocking = body?.blocking ?? true;
    const run = await runs.execute(functionName, body?.input, { blocking, secrets: body?.secrets });
    if (!blocking) return reply.code(202).send(run);
    const failure = runFailure(run);
    if (failure === undefined) return reply.send(run);
    return reply.code(failure.code).send({ ...run, ...failure });
  }

  app.post<{ Querystring: { functionName: string }; Body: RunRequestBody | undefined }>(
    '/runs',
    {
      schema: {
        operationId: 'runFunction',
        summary: 'Run a function',
        tags: ['runs'],
        querystring: {
          type: 'object',
          required: ['functionName'],
          properties: { functionName: { type: 'string' } },
        },
        body: { $ref: 'RunRequest#' },
        response: runResponses,
      },
      preValidation: defaultBody,
    },
    (request, reply) => execute(request.query.functionName, request.body, reply),
  );

  app.post<{ Params: { name: string }; Body: RunRequestBody | undefined }>(
    '/function/:name/runs',
    {
      schema: {
        operationId: 'runNamedFunction',
        summary: 'Run a function (the V1 path)',
        tags: ['runs'],
        params: nameParams,
        body: { $ref: 'RunRequest#' },
        response: runResponses,
      },
      preValidation: defaultBody,
    },
    (request, reply) => execute(request.params.name, request.body, reply),
  );

  app.get<{ Querystring: { functionName?: string; limit?: number } }>(
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
    async (request) => runs.list({ functionName: request.query.functionName, limit: request.query.limit }),
  );

  app.get<{ Params: { name: string }; Querystring: { limit?: number } }>(
    '/function/:name/runs',
    {
      schema: {
        operationId: 'listFunctionRuns',
        summary: "List a function's runs, newest first (the V1 path)",
        tags: ['runs'],
        params: nameParams,
        querystring: { type: 'object', properties: { limit: listQuery.properties.limit } },
        response: listResponses,
      },
    },
    async (request) => runs.list({ functionName: request.params.name, limit: request.query.limit }),
  );

  app.get<{ Params: { id: string } }>(
    '/runs/:id',
    {
      schema: {
        operationId: 'getRun',
        summary: 'Get a run',
        tags: ['runs'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        response: { 200: { $ref: 'Run#' }, ...errorResponses },
      },
    },
    async (request) => runs.get(request.params.id),
  );
};
