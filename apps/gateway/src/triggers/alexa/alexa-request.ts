import { InvalidInputError } from '@dispatch/core';

/** What the gateway reads from an Alexa Skills Kit request to check and route it. */
export interface AlexaRequestSummary {
  applicationId: string;
  /** `LaunchRequest`, `IntentRequest`, `SessionEndedRequest`, … */
  type: string;
  /** The intent's name, for an IntentRequest. */
  intent?: string;
}

type Json = Record<string, unknown>;

function objectAt(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function stringAt(root: unknown, path: readonly string[]): string | undefined {
  let node: unknown = root;
  for (const key of path) node = objectAt(node)?.[key];
  return typeof node === 'string' && node !== '' ? node : undefined;
}

/**
 * Checks the JSON shape of an Alexa request and answers what routing needs. The applicationId is read from
 * `session.application` and, for requests outside a session, from `context.System.application`.
 * Throws InvalidInputError (400) naming the first missing field.
 */
export function readAlexaRequest(body: unknown): AlexaRequestSummary {
  if (objectAt(body) === undefined) {
    throw new InvalidInputError('not an Alexa request: expected a JSON object with version, session and request');
  }
  const missing = (field: string) => new InvalidInputError(`not an Alexa request: ${field} is missing`);
  if (objectAt((body as Json).request) === undefined) throw missing('request');
  const type = stringAt(body, ['request', 'type']);
  if (type === undefined) throw missing('request.type');
  if (stringAt(body, ['request', 'requestId']) === undefined) throw missing('request.requestId');
  const applicationId =
    stringAt(body, ['session', 'application', 'applicationId']) ?? stringAt(body, ['context', 'System', 'application', 'applicationId']);
  if (applicationId === undefined) throw missing('session.application.applicationId');
  if (type !== 'IntentRequest') return { applicationId, type };
  const intent = stringAt(body, ['request', 'intent', 'name']);
  if (intent === undefined) throw missing('request.intent.name');
  return { applicationId, type, intent };
}
