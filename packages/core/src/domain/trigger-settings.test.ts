import { describe, expect, it } from 'vitest';
import { endpointFunctions, normalizeTriggerSettings } from './trigger-settings.js';

describe('trigger settings', () => {
  it('fills in the defaults of each trigger', () => {
    expect(normalizeTriggerSettings('skill', 'alexa', undefined)).toEqual({ applicationIds: [] });
    expect(normalizeTriggerSettings('hook', 'github', {})).toEqual({ events: ['push'] });
    expect(normalizeTriggerSettings('web', 'http', undefined)).toBeUndefined();
  });

  it('keeps an Alexa endpoint’s allow-list, intents map, launch and session-end functions', () => {
    const settings = {
      applicationIds: ['amzn1.ask.skill.a'],
      intents: { HelloIntent: 'hello-intent', 'AMAZON.StopIntent': 'stop' },
      launch: 'welcome',
      sessionEnded: 'bye',
      timeoutMs: 5000,
    };
    expect(normalizeTriggerSettings('skill', 'alexa', settings)).toEqual(settings);
    expect(endpointFunctions({ function: '', trigger: 'alexa', triggerSettings: settings })).toEqual([
      'hello-intent',
      'stop',
      'welcome',
      'bye',
    ]);
  });

  it.each([
    [{ intents: { HelloIntent: 'HelloIntent' } }, /invalid function name "HelloIntent"/],
    [{ intents: { 'Hello Intent': 'hello' } }, /"Hello Intent" is not an Alexa intent name/],
    [{ applicationIds: 'amzn1.ask.skill.a' }, /applicationIds must be a list of strings/],
    [{ timeoutMs: 20_000 }, /timeoutMs must be a whole number from 100 to 8000/],
    [{ applicationId: 'amzn1' }, /unknown field "applicationId"/],
  ])('refuses the alexa settings %j', (settings, message) => {
    expect(() => normalizeTriggerSettings('skill', 'alexa', settings)).toThrow(message);
  });

  it('refuses GitHub events that are not event names, and settings on an http endpoint', () => {
    expect(() => normalizeTriggerSettings('hook', 'github', { events: ['Push!'] })).toThrow(/"Push!" is not a GitHub event name/);
    expect(() => normalizeTriggerSettings('web', 'http', { events: ['push'] })).toThrow(/an http endpoint has no trigger settings/);
  });

  it('keeps the SNS topics allowed, in every partition, and refuses what is not a topic ARN', () => {
    const topicArns = [
      'arn:aws:sns:eu-west-1:123456789012:uploads',
      'arn:aws-cn:sns:cn-north-1:123456789012:alarms',
      'arn:aws-us-gov:sns:us-gov-west-1:123456789012:orders.fifo',
    ];
    expect(normalizeTriggerSettings('topic', 'sns', { topicArns: [...topicArns, topicArns[0]] })).toEqual({ topicArns });
    expect(normalizeTriggerSettings('topic', 'sns', undefined)).toEqual({ topicArns: [] });
    expect(() => normalizeTriggerSettings('topic', 'sns', { topicArns: ['arn:aws:sqs:eu-west-1:123456789012:queue'] })).toThrow(
      /is not an SNS topic ARN/,
    );
    expect(() => normalizeTriggerSettings('topic', 'sns', { topics: [] })).toThrow(/unknown field "topics"/);
  });
});
