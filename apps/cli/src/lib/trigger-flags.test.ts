import { describe, expect, it } from 'vitest';
import { endpointBody } from './endpoint-flags.js';
import { triggerBody } from './trigger-flags.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:s3-uploads';

describe("the endpoint and trigger flags' body", () => {
  it('sends --topic-arn as an sns trigger with its allowed topics', () => {
    expect(triggerBody({ trigger: 'sns', 'topic-arn': [TOPIC] })).toEqual({ trigger: 'sns', triggerSettings: { topicArns: [TOPIC] } });
    expect(triggerBody({ 'topic-arn': [TOPIC] })).toEqual({ trigger: 'sns', triggerSettings: { topicArns: [TOPIC] } });
  });

  it('refuses --topic-arn on another trigger', () => {
    expect(() => triggerBody({ trigger: 'github', 'topic-arn': [TOPIC] })).toThrow(/--topic-arn is for --trigger sns/);
  });

  it('sends --auth apiKey with the header it names', () => {
    expect(endpointBody({ auth: 'apiKey', 'auth-header': 'X-Api-Key', 'auth-secret': 'eventbridge-key' })).toEqual({
      auth: 'apiKey',
      authHeader: 'X-Api-Key',
      authSecret: 'eventbridge-key',
    });
  });
});
