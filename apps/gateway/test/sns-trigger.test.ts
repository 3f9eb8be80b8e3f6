import { X509Certificate, randomUUID, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, createFunction, startTestGateway, type TestGateway } from './harness.js';
import { createTestCa, type IssuedCertificate, type TestCa } from './support/test-ca.js';

const UPLOADS_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:s3-uploads';
const ALARMS_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alarms';
const OTHER_TOPIC = 'arn:aws:sns:eu-west-1:999999999999:someone-elses';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem';

type Envelope = Record<string, string | undefined>;

/** The string SNS signs, written here from AWS's documentation rather than taken from the gateway. */
function stringToSign(message: Envelope): string {
  const fields =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((field) => message[field] !== undefined)
    .map((field) => `${field}\n${message[field]}\n`)
    .join('');
}

describe('the sns trigger on the local backend', () => {
  let gateway: TestGateway;
  let ca: TestCa;
  let otherCa: TestCa;
  let snsCertificate: IssuedCertificate;
  /** PEM chains by certificate URL path, as the test's fetcher serves them; every fetch and confirmation is seen. */
  const served = new Map<string, string>();
  const fetched: string[] = [];
  const confirmed: string[] = [];

  /** Signs `message` as SNS does with SignatureVersion 1 (SHA1) or 2 (SHA256). */
  function signed(message: Envelope, version: '1' | '2' = '1', issued = snsCertificate, certUrl = CERT_URL): Envelope {
    const withUrl = { ...message, SignatureVersion: version, SigningCertURL: certUrl };
    const signature = sign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256', Buffer.from(stringToSign(withUrl)), issued.keyPem).toString(
      'base64',
    );
    return { ...withUrl, Signature: signature };
  }

  async function sample(example: string, change: Envelope = {}): Promise<Envelope> {
    const message = JSON.parse(await readFile(join(EXAMPLES, example, 'sample-notification.json'), 'utf8')) as Envelope;
    return { ...message, MessageId: randomUUID(), Timestamp: new Date().toISOString(), ...change };
  }

  function confirmation(type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation', topic: string, subscribeUrl?: string): Envelope {
    const token = randomUUID().replace(/-/g, '');
    return {
      Type: type,
      MessageId: randomUUID(),
      Token: token,
      TopicArn: topic,
      Message: `You have chosen to subscribe to the topic ${topic}.`,
      SubscribeURL: subscribeUrl ?? `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=${token}`,
      Timestamp: new Date().toISOString(),
    };
  }

  /** Posts as SNS does: JSON in a text/plain body, with its x-amz-sns-* headers. */
  function deliver(message: Envelope | string, path = '/sns/s3-uploads', extraHeaders: Record<string, string> = {}) {
    const body = typeof message === 'string' ? message : JSON.stringify(message);
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=UTF-8', ...extraHeaders };
    if (typeof message !== 'string') {
      headers['x-amz-sns-message-type'] = message.Type ?? '';
      headers['x-amz-sns-message-id'] = message.MessageId ?? '';
      headers['x-amz-sns-topic-arn'] = message.TopicArn ?? '';
    }
    return gateway.app.inject({ method: 'POST', url: path, payload: body, headers });
  }

  const runCount = async () => (await gateway.dispatch.runs.list({ limit: 1000 })).length;

  async function finished(id: string): Promise<Run> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      const run = await gateway.dispatch.runs.get(id);
      if (run.status === 'READY' || run.status === 'ERROR') return run;
    }
    throw new Error(`run ${id} did not finish`);
  }

  beforeAll(async () => {
    ca = await createTestCa('Test SNS Root');
    otherCa = await createTestCa('Untrusted Root');
    snsCertificate = await ca.issue({ dnsNames: ['sns.amazonaws.com'] });
    served.set(new URL(CERT_URL).pathname, snsCertificate.chainPem);
    gateway = await startTestGateway({
      memoryStore: true,
      token: 'admin-token',
      triggers: {
        sns: {
          trustAnchors: [new X509Certificate(ca.rootPem)],
          fetchCertificate: async (url) => {
            fetched.push(url.href);
            const pem = served.get(url.pathname);
            if (pem === undefined) throw new Error('HTTP 404');
            return pem;
          },
          confirmSubscription: async (url) => {
            confirmed.push(url.href);
          },
        },
      },
    });
    await createFunction(gateway, {
      name: 's3-upload-handler',
      image: 'nodejs',
      sourcePath: join(EXAMPLES, 's3-upload-handler/s3-upload-handler.js'),
    });
    await createFunction(gateway, {
      name: 'alarm-notifier',
      image: 'nodejs',
      sourcePath: join(EXAMPLES, 'cloudwatch-alarm-notifier/alarm-notifier.js'),
    });
    await gateway.dispatch.secrets.create({ name: 'sns-users', secrets: { sns: 'subscription-password' } });
    for (const payload of [
      {
        name: 'guarded-alarms',
        function: 'alarm-notifier',
        trigger: 'sns',
        uris: ['/sns/guarded'],
        auth: 'basic',
        authSecret: 'sns-users',
        triggerSettings: { topicArns: [ALARMS_TOPIC] },
      },
      {
        name: 's3-uploads',
        function: 's3-upload-handler',
        trigger: 'sns',
        uris: ['/sns/s3-uploads'],
        triggerSettings: { topicArns: [UPLOADS_TOPIC] },
      },
      {
        name: 'cloudwatch-alarms',
        function: 'alarm-notifier',
        trigger: 'sns',
        uris: ['/sns/alarms'],
        triggerSettings: { topicArns: [ALARMS_TOPIC] },
      },
      { name: 'plain', function: 'alarm-notifier', methods: ['POST'], uris: ['/plain'] },
    ]) {
      const response = await gateway.request({ method: 'POST', url: '/v1/endpoint', payload });
      expect(response.statusCode, response.body).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await ca?.remove();
    await otherCa?.remove();
  });

  it('runs a signed S3 notification once with the bucket and key, and not again when SNS redelivers it', async () => {
    const message = signed(await sample('s3-upload-handler'), '1');
    const started = Date.now();
    const response = await deliver(message);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.statusCode, response.body).toBe(202);
    const { runId } = response.json<{ runId: string }>();
    const run = await finished(runId);
    expect(run).toMatchObject({ status: 'READY', functionName: 's3-upload-handler', dedupeKey: message.MessageId });
    expect(run.output).toEqual({ uploads: [{ bucket: 'photo-uploads', key: 'holidays/beach day(1).jpg', size: 1048576 }] });
    expect(run.input).toMatchObject({ kind: 's3', topicArn: UPLOADS_TOPIC, messageId: message.MessageId, sns: message });
    expect(run.logs.stdout).toContain('new object s3://photo-uploads/holidays/beach day(1).jpg (1048576 bytes)');

    const before = await runCount();
    const again = await deliver(message);
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toMatchObject({ runId });
    expect(await runCount()).toBe(before);
  });

  it('verifies SignatureVersion 2 (SHA256) as well: a CloudWatch alarm reaches its function as a state change', async () => {
    const message = signed(await sample('cloudwatch-alarm-notifier'), '2');
    const response = await deliver(message, '/sns/alarms');
    expect(response.statusCode, response.body).toBe(202);
    const run = await finished(response.json<{ runId: string }>().runId);
    expect(run.input).toMatchObject({
      kind: 'cloudwatch-alarm',
      alarm: { name: 'api-5xx', state: 'ALARM', previousState: 'OK', region: 'EU (Ireland)' },
    });
    expect(run.output).toMatchObject({
      alarm: 'api-5xx',
      state: 'ALARM',
      text: expect.stringMatching(/^\[ALARM\] api-5xx \(was OK\) in EU \(Ireland\): Threshold Crossed/),
    });
  });

  it("hands an EventBridge event its detail, and S3's test event no records", async () => {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Order Placed',
      source: 'com.example.orders',
      account: '123456789012',
      time: '2026-12-06T02:30:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: { orderId: 'order-42', total: 12.5 },
    };
    const viaEventBridge = await deliver(
      signed(await sample('cloudwatch-alarm-notifier', { Message: JSON.stringify(event), Subject: undefined }), '2'),
      '/sns/alarms',
    );
    expect(viaEventBridge.statusCode, viaEventBridge.body).toBe(202);
    const run = await finished(viaEventBridge.json<{ runId: string }>().runId);
    expect(run.input).toMatchObject({
      kind: 'eventbridge',
      event: { source: 'com.example.orders', detailType: 'Order Placed' },
      detail: { orderId: 'order-42', total: 12.5 },
    });
    expect(run.input).not.toHaveProperty('subject');
    expect(run.output).toEqual({ ignored: 'eventbridge' });

    const testEvent = {
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2026-12-06T02:30:00.000Z',
      Bucket: 'photo-uploads',
      RequestId: 'C3D13FE58DE4C810',
    };
    const viaS3 = await deliver(signed(await sample('s3-upload-handler', { Message: JSON.stringify(testEvent) }), '1'));
    const s3Run = await finished(viaS3.json<{ runId: string }>().runId);
    expect(s3Run.input).toMatchObject({ kind: 's3', records: [] });
    expect(s3Run.output).toEqual({ uploads: [] });
  });

  it('confirms a subscription to an allowed topic by visiting its SubscribeURL, and refuses one to another topic', async () => {
    const allowed = signed(confirmation('SubscriptionConfirmation', UPLOADS_TOPIC), '2');
    const response = await deliver(allowed);
    expect(response.statusCode, response.body).toBe(200);
    expect(confirmed).toEqual([allowed.SubscribeURL]);

    const other = signed(confirmation('SubscriptionConfirmation', OTHER_TOPIC), '2');
    const refused = await deliver(other);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json<{ message: string }>().message).toContain(`the topic ${OTHER_TOPIC} is not allowed on endpoint s3-uploads`);
    // A SubscribeURL that is not on an SNS host is never visited, however well signed.
    const elsewhere = signed(
      confirmation('SubscriptionConfirmation', UPLOADS_TOPIC, 'https://attacker.example.com/?Action=ConfirmSubscription'),
      '2',
    );
    expect((await deliver(elsewhere)).statusCode).toBe(400);
    expect(confirmed).toEqual([allowed.SubscribeURL]);
  });

  it('notes an unsubscribe confirmation without running or visiting anything', async () => {
    const before = await runCount();
    const response = await deliver(signed(confirmation('UnsubscribeConfirmation', UPLOADS_TOPIC), '1'));
    expect(response.statusCode, response.body).toBe(200);
    expect(confirmed).toHaveLength(1);
    expect(await runCount()).toBe(before);
  });

  it('runs nothing for a message without a signature, changed after signing, or signed by an untrusted or misnamed certificate', async () => {
    const untrusted = await otherCa.issue({ dnsNames: ['sns.amazonaws.com'] });
    served.set('/untrusted.pem', untrusted.chainPem);
    const misnamed = await ca.issue({ dnsNames: ['sns.example.com'] });
    served.set('/misnamed.pem', misnamed.chainPem);
    const good = signed(await sample('s3-upload-handler'), '2');
    const cases: [string, Envelope | string, RegExp][] = [
      ['no signature', { ...good, Signature: undefined }, /has no Signature/],
      ['a changed message', { ...good, Message: good.Message?.replace('photo-uploads', 'other-bucket') }, /signature does not match/],
      ['a changed subject', { ...good, Subject: 'Something else' }, /signature does not match/],
      [
        'a version-1 signature claimed as version 2',
        { ...signed(await sample('s3-upload-handler'), '1'), SignatureVersion: '2' },
        /signature does not match/,
      ],
      ['an unknown SignatureVersion', { ...good, SignatureVersion: '3' }, /is not 1 or 2/],
      [
        'an untrusted certificate',
        signed(await sample('s3-upload-handler'), '2', untrusted, 'https://sns.eu-west-1.amazonaws.com/untrusted.pem'),
        /does not chain to a trusted root/,
      ],
      [
        'a certificate not naming sns.amazonaws.com',
        signed(await sample('s3-upload-handler'), '2', misnamed, 'https://sns.eu-west-1.amazonaws.com/misnamed.pem'),
        /does not name sns.amazonaws.com/,
      ],
      ['not an SNS message', JSON.stringify({ hello: 'world' }), /not one of Notification/],
      ['not JSON', 'hello', /malformed JSON/],
    ];
    const before = await runCount();
    for (const [what, message, why] of cases) {
      const response = await deliver(message);
      expect(response.statusCode, what).toBe(400);
      expect(response.json<{ message: string }>().message, what).toMatch(why);
    }
    expect(await runCount()).toBe(before);
  });

  it.each([
    ['another host', 'https://sns.eu-west-1.attacker.com/SimpleNotificationService-0123456789abcdef.pem', /is not on/],
    ['a host that only starts like SNS', 'https://sns.eu-west-1.amazonaws.com.attacker.com/cert.pem', /is not on/],
    ['http', 'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem', /is not https/],
    [
      'a path that is not a .pem',
      'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.txt',
      /is not a .pem file/,
    ],
  ])('runs nothing and fetches nothing for a certificate URL on %s', async (_what, certUrl, why) => {
    const before = { runs: await runCount(), fetched: fetched.length };
    const response = await deliver(signed(await sample('s3-upload-handler'), '2', snsCertificate, certUrl));
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ message: string }>().message).toMatch(why);
    expect({ runs: await runCount(), fetched: fetched.length }).toEqual(before);
  });

  it('accepts the China and GovCloud partitions’ SNS hosts', async () => {
    for (const host of ['sns.cn-north-1.amazonaws.com.cn', 'sns.us-gov-west-1.amazonaws.com']) {
      const response = await deliver(
        signed(await sample('s3-upload-handler'), '2', snsCertificate, `https://${host}/SimpleNotificationService-0123456789abcdef.pem`),
      );
      expect(response.statusCode, response.body).toBe(202);
    }
  });

  it('runs nothing for a well-signed message from a topic the endpoint does not allow (403)', async () => {
    const before = await runCount();
    const response = await deliver(signed(await sample('s3-upload-handler', { TopicArn: OTHER_TOPIC }), '2'));
    expect(response.statusCode, response.body).toBe(403);
    expect(await runCount()).toBe(before);
  });

  it('refuses a body over 1 MiB (413), and plain text on an endpoint that is not sns (415)', async () => {
    const huge = signed(await sample('s3-upload-handler', { Message: 'x'.repeat(1024 * 1024) }), '2');
    expect((await deliver(huge)).statusCode).toBe(413);
    const plain = await gateway.app.inject({ method: 'POST', url: '/plain', payload: '{}', headers: { 'content-type': 'text/plain' } });
    expect(plain.statusCode, plain.body).toBe(415);
  });

  it('checks the basic auth of a subscription URL with a user and password before the message', async () => {
    const message = signed(await sample('cloudwatch-alarm-notifier'), '2');
    const before = await runCount();
    const wrong = await deliver(message, '/sns/guarded', { authorization: `Basic ${Buffer.from('sns:wrong').toString('base64')}` });
    expect(wrong.statusCode, wrong.body).toBe(401);
    expect(await runCount()).toBe(before);
    const right = await deliver(message, '/sns/guarded', {
      authorization: `Basic ${Buffer.from('sns:subscription-password').toString('base64')}`,
    });
    expect(right.statusCode, right.body).toBe(202);
  });
});
