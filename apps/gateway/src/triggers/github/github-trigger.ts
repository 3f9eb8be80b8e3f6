import { verify } from '@octokit/webhooks-methods';
import type { Dispatch, Endpoint, GithubTriggerSettings } from '@dispatch/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rawBodyOf } from '../raw-body.js';

const REQUIRED_HEADERS = ['x-github-event', 'x-github-delivery', 'x-hub-signature-256'] as const;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/** The event's JSON: the body, or the `payload` field of a form (GitHub's `application/x-www-form-urlencoded`). */
function eventPayload(body: unknown): unknown {
  const form = body as { payload?: unknown } | null;
  if (typeof form === 'object' && form !== null && typeof form.payload === 'string' && Object.keys(form).length === 1) {
    try {
      return JSON.parse(form.payload);
    } catch {
      return form.payload;
    }
  }
  return body;
}

/**
 * Serves an endpoint with `trigger: github`: checks `X-Hub-Signature-256` against every value of the secret the
 * endpoint's `authSecret` names (several values = rotation), answers `ping` itself, filters events by the
 * endpoint's list, and queues the function with the event's payload, answering 202 with the run at once (GitHub
 * waits 10 s at most). The delivery id is the run's idempotency key: a redelivery answers the same run.
 */
export function createGithubTrigger(dispatch: Dispatch) {
  async function webhookSecrets(endpoint: Endpoint, request: FastifyRequest): Promise<string[]> {
    if (!endpoint.authSecret) return [];
    try {
      return Object.values(await dispatch.secrets.values(endpoint.authSecret)).filter((value) => value !== '');
    } catch (error) {
      request.log.warn({ endpoint: endpoint.name, secret: endpoint.authSecret, err: error }, 'cannot read the webhook secret');
      return [];
    }
  }

  return async function handleGithub(endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const missing = REQUIRED_HEADERS.filter((name) => header(request, name) === undefined);
    if (missing.length > 0) {
      return reply.code(400).send({
        code: 400,
        message: `this is a GitHub webhook endpoint: the ${missing.join(', ')} header${missing.length > 1 ? 's are' : ' is'} missing`,
      });
    }
    const event = header(request, 'x-github-event') as string;
    const delivery = header(request, 'x-github-delivery') as string;
    const signature = header(request, 'x-hub-signature-256') as string;

    const raw = rawBodyOf(request).toString('utf8');
    const secrets = await webhookSecrets(endpoint, request);
    // Every value is tried, so the time taken does not tell which one (if any) matched.
    let matched = false;
    for (const secret of secrets) matched = (raw !== '' && (await verify(secret, raw, signature))) || matched;
    if (!matched)
      return reply
        .code(401)
        .send({ code: 401, message: "the X-Hub-Signature-256 signature does not match this endpoint's webhook secret" });

    if (event === 'ping') return reply.code(200).send({ message: 'pong', delivery });
    const events = (endpoint.triggerSettings as GithubTriggerSettings | undefined)?.events ?? ['push'];
    if (!events.includes('*') && !events.includes(event)) {
      return reply
        .code(202)
        .send({ message: `event "${event}" is not one endpoint ${endpoint.name} runs (${events.join(', ')}): nothing was run`, delivery });
    }

    const run = await dispatch.runs.execute(endpoint.function, eventPayload(request.body), { blocking: false, idempotencyKey: delivery });
    return reply.code(202).send({ message: `event "${event}" queued`, delivery, runId: run.name });
  };
}
