import { RequestVerificationError } from '../signing-certificates.js';

/** The message types SNS posts to an HTTP(S) subscriber. */
export type SnsMessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

/** An SNS message as posted to an HTTP(S) subscriber (the JSON body), with the fields Dispatch reads. */
export interface SnsMessage {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  /** Confirmations only. */
  Token?: string;
  SubscribeURL?: string;
  UnsubscribeURL?: string;
  MessageAttributes?: Record<string, unknown>;
}

const TYPES: readonly SnsMessageType[] = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'];
const COMMON_FIELDS = ['MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;
const CONFIRMATION_FIELDS = ['Token', 'SubscribeURL'] as const;
/** SNS message ids are UUIDs; the limit keeps an id usable as a run's idempotency key. */
const MAX_MESSAGE_ID_LENGTH = 128;

/**
 * The fields each type signs, in the order AWS lists them (byte order of the names): the string to sign is
 * `name\nvalue\n` for each one present. A Notification's Subject counts only when the message has one.
 */
const SIGNED_FIELDS: Record<SnsMessageType, readonly (keyof SnsMessage)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

function refuse(why: string): RequestVerificationError {
  return new RequestVerificationError(`this is an Amazon SNS endpoint: ${why}`);
}

/** Checks that a parsed body has the shape of an SNS message of a known type; throws RequestVerificationError (400). */
export function readSnsMessage(body: unknown): SnsMessage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw refuse('the body is not an SNS message (a JSON object)');
  const message = body as Record<string, unknown>;
  if (!TYPES.includes(message.Type as SnsMessageType)) {
    throw refuse(`the message Type ${JSON.stringify(message.Type ?? null)} is not one of ${TYPES.join(', ')}`);
  }
  const type = message.Type as SnsMessageType;
  const required: readonly string[] = type === 'Notification' ? COMMON_FIELDS : [...COMMON_FIELDS, ...CONFIRMATION_FIELDS];
  const missing = required.filter((field) => typeof message[field] !== 'string' || message[field] === '');
  if (missing.length > 0) throw refuse(`the ${type} has no ${missing.join(', ')}`);
  if (message.Subject !== undefined && message.Subject !== null && typeof message.Subject !== 'string')
    throw refuse('the Subject is not a string');
  if ((message.MessageId as string).length > MAX_MESSAGE_ID_LENGTH)
    throw refuse(`the MessageId is longer than ${MAX_MESSAGE_ID_LENGTH} characters`);
  return message as unknown as SnsMessage;
}

/** The string SNS signed for a message: the signed fields of its type, each as `name\nvalue\n`. */
export function snsStringToSign(message: SnsMessage): string {
  let text = '';
  for (const field of SIGNED_FIELDS[message.Type]) {
    const value = message[field];
    // SNS omits a Notification's Subject when there is none; some relays write it as null.
    if (value === undefined || value === null) continue;
    text += `${field}\n${String(value)}\n`;
  }
  return text;
}
