import { InvalidInputError } from '../errors.js';
import type { AlexaTriggerSettings, Endpoint, EndpointTrigger, GithubTriggerSettings, SnsTriggerSettings } from './types.js';
import { assertPositiveInteger, assertStringList, assertStringMap, assertValidName } from './validation.js';

/** Alexa intent names: letters and underscores, with dots for the built-in ones (`AMAZON.StopIntent`). */
const INTENT_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
/** GitHub event names (`push`, `pull_request`, …), or `*` for all. */
const GITHUB_EVENT = /^([a-z_]+|\*)$/;

/** An SNS topic ARN in any partition (aws, aws-cn, aws-us-gov); FIFO topics end in `.fifo`. */
const SNS_TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** The default time an Alexa endpoint gives its function: Alexa itself gives up after about 8 s. */
export const DEFAULT_ALEXA_TIMEOUT_MS = 7000;
const MAX_ALEXA_TIMEOUT_MS = 8000;

function assertObject(value: unknown, field: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${field} must be an object`);
}

function assertKnownKeys(settings: Record<string, unknown>, known: readonly string[], field: string): void {
  const unknown = Object.keys(settings).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `${field} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`,
    );
  }
}

function alexaSettings(settings: Record<string, unknown>, field: string): AlexaTriggerSettings {
  assertKnownKeys(settings, ['applicationIds', 'intents', 'launch', 'sessionEnded', 'timeoutMs'], field);
  const applicationIds = settings.applicationIds ?? [];
  assertStringList(applicationIds, `${field}.applicationIds`);
  const result: AlexaTriggerSettings = { applicationIds: applicationIds.map((id) => id.trim()).filter(Boolean) };
  if (settings.intents !== undefined) {
    assertStringMap(settings.intents, `${field}.intents`);
    for (const [intent, fn] of Object.entries(settings.intents)) {
      if (!INTENT_NAME.test(intent)) throw new InvalidInputError(`${field}.intents: "${intent}" is not an Alexa intent name`);
      assertValidName('function', fn);
    }
    result.intents = { ...settings.intents };
  }
  for (const key of ['launch', 'sessionEnded'] as const) {
    const fn = settings[key];
    if (fn === undefined) continue;
    assertValidName('function', fn);
    result[key] = fn;
  }
  if (settings.timeoutMs !== undefined) {
    assertPositiveInteger(settings.timeoutMs, `${field}.timeoutMs`, { min: 100, max: MAX_ALEXA_TIMEOUT_MS });
    result.timeoutMs = settings.timeoutMs;
  }
  return result;
}

function githubSettings(settings: Record<string, unknown>, field: string): GithubTriggerSettings {
  assertKnownKeys(settings, ['events'], field);
  const events = settings.events ?? ['push'];
  assertStringList(events, `${field}.events`);
  const bad = events.find((event) => !GITHUB_EVENT.test(event));
  if (bad !== undefined) throw new InvalidInputError(`${field}.events: "${bad}" is not a GitHub event name (push, pull_request, …, or *)`);
  return { events: [...new Set(events)] };
}

function snsSettings(settings: Record<string, unknown>, field: string): SnsTriggerSettings {
  assertKnownKeys(settings, ['topicArns'], field);
  const topicArns = settings.topicArns ?? [];
  assertStringList(topicArns, `${field}.topicArns`);
  const trimmed = topicArns.map((arn) => arn.trim()).filter(Boolean);
  const bad = trimmed.find((arn) => !SNS_TOPIC_ARN.test(arn));
  if (bad !== undefined)
    throw new InvalidInputError(`${field}.topicArns: "${bad}" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)`);
  return { topicArns: [...new Set(trimmed)] };
}

/**
 * Checks an endpoint's `triggerSettings` against its `trigger` and answers them normalised (defaults filled
 * in), or undefined for an `http` endpoint without settings. Throws InvalidInputError naming the bad field.
 */
export function normalizeTriggerSettings(
  endpointName: string,
  trigger: EndpointTrigger,
  settings: unknown,
): Record<string, unknown> | undefined {
  const field = `endpoint "${endpointName}": triggerSettings`;
  if (settings !== undefined && settings !== null) assertObject(settings, field);
  const given = (settings ?? {}) as Record<string, unknown>;
  if (trigger === 'alexa') return { ...alexaSettings(given, field) };
  if (trigger === 'github') return { ...githubSettings(given, field) };
  if (trigger === 'sns') return { ...snsSettings(given, field) };
  if (Object.keys(given).length > 0) throw new InvalidInputError(`${field}: an http endpoint has no trigger settings`);
  return undefined;
}

/** Every function an endpoint may run: its `function` and, for Alexa, those of its intents, launch and end. */
export function endpointFunctions(endpoint: Pick<Endpoint, 'function' | 'trigger' | 'triggerSettings'>): string[] {
  const names = endpoint.function ? [endpoint.function] : [];
  if (endpoint.trigger === 'alexa' && endpoint.triggerSettings) {
    const settings = endpoint.triggerSettings as Partial<AlexaTriggerSettings>;
    names.push(...Object.values(settings.intents ?? {}));
    if (settings.launch) names.push(settings.launch);
    if (settings.sessionEnded) names.push(settings.sessionEnded);
  }
  return [...new Set(names)];
}
