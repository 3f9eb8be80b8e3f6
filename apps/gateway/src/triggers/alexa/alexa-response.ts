/** An Alexa Skills Kit response, as a skill answers it. */
export interface AlexaResponse {
  version: string;
  response: Record<string, unknown>;
  sessionAttributes?: Record<string, unknown>;
}

/** The short form a function may answer instead of a whole Alexa response. */
export interface SpeechReply {
  speech: string;
  /** A card for the Alexa app: its content, or a title and content. */
  card?: string | { title?: string; content?: string };
  /** Keep the session open for an answer when false (default true). */
  endSession?: boolean;
  sessionAttributes?: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A reply that already is an Alexa response: passed through unchanged. */
export function isAlexaResponse(value: unknown): value is AlexaResponse {
  return isObject(value) && typeof value.version === 'string' && isObject(value.response);
}

function isSpeechReply(value: unknown): value is SpeechReply {
  return isObject(value) && typeof value.speech === 'string';
}

/** An Alexa response that says `text` (and shows it on a card when `card` is given), ending the session. */
export function speak(
  text: string,
  options: { card?: SpeechReply['card']; endSession?: boolean; sessionAttributes?: Record<string, unknown> } = {},
): AlexaResponse {
  const response: Record<string, unknown> = { outputSpeech: { type: 'PlainText', text } };
  if (options.card !== undefined) {
    const card = typeof options.card === 'string' ? { content: options.card } : options.card;
    response.card = { type: 'Simple', title: card.title ?? '', content: card.content ?? text };
  }
  response.shouldEndSession = options.endSession ?? true;
  return { version: '1.0', response, sessionAttributes: options.sessionAttributes ?? {} };
}

/**
 * The Alexa response for a function's output: an Alexa response as is, a string or `{speech, card, endSession}`
 * wrapped, nothing (null) as an empty response (what Alexa expects after SessionEndedRequest).
 * Undefined for anything else, which Alexa could not say.
 */
export function toAlexaResponse(output: unknown): AlexaResponse | undefined {
  if (isAlexaResponse(output)) return output;
  if (typeof output === 'string') return speak(output);
  if (isSpeechReply(output)) {
    return speak(output.speech, {
      ...(output.card !== undefined ? { card: output.card } : {}),
      ...(output.endSession !== undefined ? { endSession: output.endSession } : {}),
      ...(output.sessionAttributes !== undefined ? { sessionAttributes: output.sessionAttributes } : {}),
    });
  }
  if (output === null || output === undefined) return { version: '1.0', response: {} };
  return undefined;
}
