import { type AlexaTriggerSettings, DEFAULT_ALEXA_TIMEOUT_MS, type Dispatch, type Endpoint, NotFoundError, type Run } from '@dispatch/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rawBodyOf } from '../raw-body.js';
import { readAlexaRequest, type AlexaRequestSummary } from './alexa-request.js';
import { type AlexaResponse, speak, toAlexaResponse } from './alexa-response.js';
import type { AlexaVerifier } from './verify-alexa-request.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Past the function's own timeout, the time left to answer before Alexa gives up. */
const REPLY_MARGIN_MS = 200;

const SPOKEN_FAILURE = 'Sorry, the skill could not answer just now. Please try again.';

/**
 * Serves an endpoint with `trigger: alexa`: verifies the request came from Alexa (unless verification is off),
 * checks its shape and applicationId, routes it to a function, and always answers Alexa in its own format —
 * a function that fails or is too slow becomes a spoken error, so the device never hangs.
 */
export function createAlexaTrigger(dispatch: Dispatch, verifier: AlexaVerifier | undefined) {
  async function functionFor(
    endpoint: Endpoint,
    settings: AlexaTriggerSettings,
    summary: AlexaRequestSummary,
  ): Promise<string | undefined> {
    const fallback = endpoint.function === '' ? undefined : endpoint.function;
    if (summary.type === 'LaunchRequest') return settings.launch ?? fallback;
    if (summary.type === 'SessionEndedRequest') return settings.sessionEnded ?? fallback;
    if (summary.type !== 'IntentRequest' || summary.intent === undefined) return fallback;
    const mapped = settings.intents?.[summary.intent];
    if (mapped !== undefined) return mapped;
    // funker-dispatch's rule: a function named exactly like the intent answers it.
    if (DNS_LABEL.test(summary.intent)) {
      const found = await dispatch.functions.get(summary.intent).then(
        () => true,
        (error: unknown) => (NotFoundError.isInstance(error) ? false : Promise.reject(error)),
      );
      if (found) return summary.intent;
    }
    return fallback;
  }

  /** Runs the function, answering undefined when it is not done within `timeoutMs`. */
  async function runWithin(fn: string, body: unknown, timeoutMs: number): Promise<Run | undefined> {
    const running = dispatch.runs.execute(fn, body, { blocking: true, record: true, timeoutMs });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs + REPLY_MARGIN_MS)));
    try {
      return await Promise.race([running, late]);
    } finally {
      clearTimeout(timer);
      running.catch(() => undefined);
    }
  }

  function answer(reply: FastifyReply, response: AlexaResponse): FastifyReply {
    return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(response));
  }

  return async function handleAlexa(endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = request.body;
    if (verifier) await verifier.verify(request.headers, rawBodyOf(request), body);
    const summary = readAlexaRequest(body);
    const settings = (endpoint.triggerSettings ?? { applicationIds: [] }) as unknown as AlexaTriggerSettings;
    if (!settings.applicationIds.includes(summary.applicationId)) {
      const message =
        settings.applicationIds.length === 0
          ? `endpoint ${endpoint.name} allows no Alexa skill yet: add the skill's applicationId to its triggerSettings.applicationIds`
          : `the applicationId ${summary.applicationId} is not allowed on endpoint ${endpoint.name}`;
      return reply.code(401).send({ code: 401, message });
    }

    const fn = await functionFor(endpoint, settings, summary);
    if (fn === undefined) {
      if (summary.type === 'IntentRequest') return answer(reply, speak(`Sorry, this skill cannot answer ${summary.intent ?? 'that'} yet.`));
      if (summary.type === 'LaunchRequest') return answer(reply, speak('Welcome. This skill has nothing to say when opened yet.'));
      return answer(reply, { version: '1.0', response: {} });
    }

    const log = request.log.child({ endpoint: endpoint.name, function: fn, alexa: summary.type });
    const timeoutMs = settings.timeoutMs ?? DEFAULT_ALEXA_TIMEOUT_MS;
    let run: Run | undefined;
    try {
      run = await runWithin(fn, body, timeoutMs);
    } catch (error) {
      log.warn({ err: error }, 'the Alexa request could not run its function');
      return answer(reply, speak(SPOKEN_FAILURE));
    }
    if (run === undefined) {
      log.warn({ timeoutMs }, 'the function did not answer Alexa in time');
      return answer(reply, speak(SPOKEN_FAILURE));
    }
    if (run.error) {
      log.warn({ run: run.id, error: run.error }, 'the function failed to answer Alexa');
      return answer(reply, speak(SPOKEN_FAILURE));
    }
    const response = toAlexaResponse(run.output);
    if (response === undefined) {
      log.warn({ run: run.id }, 'the function answered something that is neither an Alexa response, a string nor {speech}');
      return answer(reply, speak(SPOKEN_FAILURE));
    }
    return answer(reply, response);
  };
}
