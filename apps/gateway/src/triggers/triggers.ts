import type { X509Certificate } from 'node:crypto';
import type { Dispatch, Endpoint } from '@dispatch/core';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { createAlexaTrigger } from './alexa/alexa-trigger.js';
import { createAlexaVerifier } from './alexa/verify-alexa-request.js';
import type { CertificateFetcher } from './certificate-fetchers.js';
import { createGithubTrigger } from './github/github-trigger.js';
import { confirmSubscriptionOverHttps, createSnsTrigger, type SubscriptionConfirmer } from './sns/sns-trigger.js';
import { createSnsVerifier } from './sns/verify-sns-message.js';

/** How the gateway checks requests to trigger endpoints. */
export interface TriggerOptions {
  alexa?: {
    /**
     * Verify that requests come from Alexa (signature, certificate, timestamp). Default true; false is for
     * development only and is logged loudly at start.
     */
    verify?: boolean;
    /** The roots Amazon's signing chain must end at; Node's bundled roots when absent. */
    trustAnchors?: readonly X509Certificate[];
    /** How signing certificates are fetched; HTTPS from the URL Alexa names when absent. */
    fetchCertificate?: CertificateFetcher;
  };
  sns?: {
    /** The roots Amazon's signing chain must end at; Node's bundled roots when absent. */
    trustAnchors?: readonly X509Certificate[];
    /** How signing certificates are fetched; HTTPS from the SigningCertURL when absent. */
    fetchCertificate?: CertificateFetcher;
    /** How a subscription is confirmed; an HTTPS GET of its SubscribeURL when absent. */
    confirmSubscription?: SubscriptionConfirmer;
  };
}

export type TriggerHandler = (endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** The handlers of the trigger endpoints, by trigger, built once when the gateway starts. */
export function createTriggerHandlers(
  dispatch: Dispatch,
  options: TriggerOptions,
  log: FastifyBaseLogger,
): Record<'alexa' | 'github' | 'sns', TriggerHandler> {
  const alexa = options.alexa ?? {};
  if (alexa.verify === false) {
    log.warn(
      '!!! Alexa request verification is OFF (DISPATCH_ALEXA_VERIFY=off): anyone can call alexa endpoints as if they were Alexa. ' +
        'Use this for development only, never on a gateway the internet reaches.',
    );
  }
  const verifier =
    alexa.verify === false
      ? undefined
      : createAlexaVerifier({
          ...(alexa.trustAnchors ? { trustAnchors: alexa.trustAnchors } : {}),
          ...(alexa.fetchCertificate ? { fetchCertificate: alexa.fetchCertificate } : {}),
        });
  const sns = options.sns ?? {};
  const snsVerifier = createSnsVerifier({
    ...(sns.trustAnchors ? { trustAnchors: sns.trustAnchors } : {}),
    ...(sns.fetchCertificate ? { fetchCertificate: sns.fetchCertificate } : {}),
  });
  return {
    alexa: createAlexaTrigger(dispatch, verifier),
    github: createGithubTrigger(dispatch),
    sns: createSnsTrigger(dispatch, snsVerifier, sns.confirmSubscription ?? confirmSubscriptionOverHttps),
  };
}
