import type { SnsMessage } from './sns-message.js';

/** What an SNS notification carries, as told from its message. */
export type SnsEventKind = 's3' | 'cloudwatch-alarm' | 'eventbridge' | 'message';

/** One object of an S3 event notification, its key decoded. */
export interface S3EventRecord {
  event: string;
  time: string;
  region: string;
  bucket: string;
  key: string;
  size?: number;
  eTag?: string;
  versionId?: string;
}

/** A CloudWatch alarm's state change. */
export interface CloudWatchAlarmChange {
  name: string;
  description?: string;
  arn?: string;
  account?: string;
  region?: string;
  state: string;
  previousState?: string;
  reason?: string;
  changedAt?: string;
  trigger?: unknown;
}

/** The input a function gets for an SNS notification: the message unwrapped, and the envelope as sent. */
export interface SnsEventInput {
  kind: SnsEventKind;
  topicArn: string;
  messageId: string;
  timestamp: string;
  subject?: string;
  /** The message: its JSON parsed when it is JSON, else the text. */
  message: unknown;
  /** s3: the objects the event is about. */
  records?: S3EventRecord[];
  /** cloudwatch-alarm: the state change. */
  alarm?: CloudWatchAlarmChange;
  /** eventbridge: the event's fields, and its detail. */
  event?: { source: string; detailType: string; account?: string; region?: string; time?: string; resources?: unknown };
  detail?: unknown;
  /** The SNS message exactly as posted (signature fields included). */
  sns: SnsMessage;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function parseMessage(message: string): unknown {
  const start = message.trimStart()[0];
  if (start !== '{' && start !== '[') return message;
  try {
    return JSON.parse(message);
  } catch {
    return message;
  }
}

/** S3 writes keys URL-encoded, with `+` for a space. */
function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

function s3Record(record: Json): S3EventRecord {
  const s3 = isObject(record.s3) ? record.s3 : {};
  const bucket = isObject(s3.bucket) ? s3.bucket : {};
  const object = isObject(s3.object) ? s3.object : {};
  const result: S3EventRecord = {
    event: text(record.eventName) ?? '',
    time: text(record.eventTime) ?? '',
    region: text(record.awsRegion) ?? '',
    bucket: text(bucket.name) ?? '',
    key: decodeS3Key(text(object.key) ?? ''),
  };
  if (typeof object.size === 'number') result.size = object.size;
  if (text(object.eTag) !== undefined) result.eTag = object.eTag as string;
  if (text(object.versionId) !== undefined) result.versionId = object.versionId as string;
  return result;
}

function alarmChange(message: Json): CloudWatchAlarmChange {
  const change: CloudWatchAlarmChange = { name: text(message.AlarmName) ?? '', state: text(message.NewStateValue) ?? '' };
  const optional: [keyof CloudWatchAlarmChange, unknown][] = [
    ['description', message.AlarmDescription],
    ['arn', message.AlarmArn],
    ['account', message.AWSAccountId],
    ['region', message.Region],
    ['previousState', message.OldStateValue],
    ['reason', message.NewStateReason],
    ['changedAt', message.StateChangeTime],
  ];
  for (const [field, value] of optional) if (typeof value === 'string') (change as unknown as Json)[field] = value;
  if (message.Trigger !== undefined) change.trigger = message.Trigger;
  return change;
}

/**
 * Unwraps a notification for its function: an S3 event's records (bucket, decoded key, size), a CloudWatch
 * alarm's state change, an EventBridge event's detail, or else the message itself; the envelope stays alongside.
 */
export function snsEventInput(sns: SnsMessage): SnsEventInput {
  const message = parseMessage(sns.Message);
  const input: SnsEventInput = {
    kind: 'message',
    topicArn: sns.TopicArn,
    messageId: sns.MessageId,
    timestamp: sns.Timestamp,
    message,
    sns,
  };
  if (typeof sns.Subject === 'string') input.subject = sns.Subject;
  if (!isObject(message)) return input;
  if (Array.isArray(message.Records) && message.Records.some((record) => isObject(record) && record.eventSource === 'aws:s3')) {
    input.kind = 's3';
    input.records = message.Records.filter((record): record is Json => isObject(record) && record.eventSource === 'aws:s3').map(s3Record);
  } else if (message.Event === 's3:TestEvent') {
    // S3 sends this once when the notification is configured.
    input.kind = 's3';
    input.records = [];
  } else if (typeof message.AlarmName === 'string' && typeof message.NewStateValue === 'string') {
    input.kind = 'cloudwatch-alarm';
    input.alarm = alarmChange(message);
  } else if (typeof message['detail-type'] === 'string' && typeof message.source === 'string' && 'detail' in message) {
    input.kind = 'eventbridge';
    input.event = { source: message.source, detailType: message['detail-type'] };
    for (const field of ['account', 'region', 'time'] as const) if (typeof message[field] === 'string') input.event[field] = message[field];
    if (message.resources !== undefined) input.event.resources = message.resources;
    input.detail = message.detail;
  }
  return input;
}
