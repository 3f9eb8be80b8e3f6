import type { Dispatch, Endpoint, SnsTriggerSettings } from '@dispatch/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { snsEventInput } from './sns-event-input.js';
import { readSnsMessage } from './sns-message.js';
import { checkSubscribeUrl, type SnsVerifier } from './verify-sns-message.js';

/** Confirms a subscription by visiting its (checked) SubscribeURL; throws when SNS does not answer 2xx. */
export type SubscriptionConfirmer = (subscribeUrl: URL) => Promise<void>;

const CONFIRM_TIMEOUT_MS = 5000;

/** The default confirmer: a GET with a 5 s timeout that follows no redirect (a redirect could leave SNS's hosts). */
export async function confirmSubscriptionOverHttps(url: URL): Promise<void> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(CONFIRM_TIMEOUT_MS) });
  // The answer is a small XML document; it is not needed, but the connection is freed by reading it.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

/**
 * Serves an endpoint with `trigger: sns`: every message must come from an allowed topic and carry a valid SNS
 * signature. A SubscriptionConfirmation is confirmed by visiting its SubscribeURL, an UnsubscribeConfirmation is
 * logged, and a Notification queues the function with the message unwrapped, answering 202 at once (SNS retries
 * slow answers). The MessageId is the run's idempotency key: a redelivered message answers the same run.
 */
export function createSnsTrigger(dispatch: Dispatch, verifier: SnsVerifier, confirm: SubscriptionConfirmer) {
  return async function handleSns(endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const message = readSnsMessage(request.body);
    const log = request.log.child({
      endpoint: endpoint.name,
      snsType: message.Type,
      topic: message.TopicArn,
      messageId: message.MessageId,
    });
    // The topic comes first: a message from a topic not allowed here costs no certificate fetch.
    const { topicArns } = (endpoint.triggerSettings ?? { topicArns: [] }) as unknown as SnsTriggerSettings;
    if (!topicArns.includes(message.TopicArn)) {
      const why =
        topicArns.length === 0
          ? `endpoint ${endpoint.name} allows no SNS topic yet: add the topic's ARN to its triggerSettings.topicArns`
          : `the topic ${message.TopicArn} is not allowed on endpoint ${endpoint.name}`;
      log.warn('refused an SNS message from a topic not allowed');
      return reply.code(403).send({ code: 403, message: why });
    }
    await verifier.verify(message);

    if (message.Type === 'SubscriptionConfirmation') {
      const url = checkSubscribeUrl(message.SubscribeURL as string);
      try {
        await confirm(url);
      } catch (error) {
        log.warn({ err: error }, 'could not confirm the SNS subscription');
        return reply
          .code(502)
          .send({ code: 502, message: `the subscription to ${message.TopicArn} could not be confirmed (request id ${request.id})` });
      }
      log.info('confirmed the SNS subscription');
      return reply.code(200).send({ message: `subscribed to ${message.TopicArn}` });
    }
    if (message.Type === 'UnsubscribeConfirmation') {
      // Nothing to do: the subscription is gone on the SNS side. Subscribing again is done from SNS.
      log.info('the SNS subscription was removed');
      return reply.code(200).send({ message: `unsubscribed from ${message.TopicArn}` });
    }

    const run = await dispatch.runs.execute(endpoint.function, snsEventInput(message), {
      blocking: false,
      idempotencyKey: message.MessageId,
    });
    return reply.code(202).send({ message: 'queued', messageId: message.MessageId, runId: run.name });
  };
}
