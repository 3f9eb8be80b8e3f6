import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';

/** A DynamoDB stream record as an EventBridge pipe hands it to an API destination: the body is the event itself. */
const STREAM_EVENT = {
  eventID: '1',
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  awsRegion: 'eu-west-1',
  dynamodb: { Keys: { id: { S: 'order-42' } }, NewImage: { id: { S: 'order-42' }, total: { N: '12.5' } } },
};

describe('endpoints with apiKey auth (EventBridge API destinations)', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, token: 'admin-token' });
    await createFunction(gateway, {
      name: 'echo',
      image: 'nodejs',
      sourcePath: await writeFunction(gateway, 'echo.js', 'module.exports = (context, payload) => payload;'),
    });
    await gateway.dispatch.secrets.create({ name: 'eventbridge-key', secrets: { current: 'the-right-key' } });
    for (const payload of [
      {
        name: 'from-eventbridge',
        function: 'echo',
        methods: ['POST'],
        uris: ['/events'],
        auth: 'apiKey',
        authHeader: 'X-Dispatch-Key',
        authSecret: 'eventbridge-key',
      },
      { name: 'default-header', function: 'echo', methods: ['POST'], uris: ['/default'], auth: 'apiKey', authSecret: 'eventbridge-key' },
    ]) {
      const created = await gateway.request({ method: 'POST', url: '/v1/endpoint', payload });
      expect(created.statusCode, created.body).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  const send = (headers: Record<string, string>, url = '/events') =>
    gateway.app.inject({
      method: 'POST',
      url,
      payload: JSON.stringify(STREAM_EVENT),
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('runs the function with the event as sent when the header holds the key (200)', async () => {
    const response = await send({ 'x-dispatch-key': 'the-right-key' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual(STREAM_EVENT);
  });

  it('refuses a wrong key, a missing header and the key in another header (401), running nothing', async () => {
    const before = (await gateway.dispatch.runs.list({ functionName: 'echo', limit: 1000 })).length;
    const attempts: Record<string, string>[] = [
      { 'x-dispatch-key': 'not-the-key' },
      {},
      { 'x-api-key': 'the-right-key' },
      { authorization: 'Bearer the-right-key' },
    ];
    for (const headers of attempts) {
      const response = await send(headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      expect(response.json()).toEqual({ code: 401, message: expect.stringContaining('x-dispatch-key') });
      expect(response.headers['www-authenticate']).toBe('ApiKey realm="from-eventbridge", header="x-dispatch-key"');
    }
    expect((await gateway.dispatch.runs.list({ functionName: 'echo', limit: 1000 })).length).toBe(before);
  });

  it('reads x-api-key when the endpoint names no header, and shows the header it reads', async () => {
    expect((await send({ 'x-api-key': 'the-right-key' }, '/default')).statusCode).toBe(200);
    expect((await send({ 'x-api-key': 'wrong' }, '/default')).statusCode).toBe(401);
    const endpoint = await gateway.request({ method: 'GET', url: '/v1/endpoint/default-header' });
    expect(endpoint.json()).toMatchObject({ auth: 'apiKey', authHeader: 'x-api-key', authSecret: 'eventbridge-key' });
  });

  it('refuses an authHeader that is not a header name, or one given without apiKey auth (400)', async () => {
    for (const payload of [
      {
        name: 'bad-header',
        function: 'echo',
        methods: ['POST'],
        uris: ['/bad'],
        auth: 'apiKey',
        authHeader: 'x api key',
        authSecret: 'eventbridge-key',
      },
      {
        name: 'not-api-key',
        function: 'echo',
        methods: ['POST'],
        uris: ['/bad'],
        auth: 'bearer',
        authHeader: 'x-api-key',
        authSecret: 'eventbridge-key',
      },
    ]) {
      const response = await gateway.request({ method: 'POST', url: '/v1/endpoint', payload });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json<{ message: string }>().message).toMatch(/authHeader/);
    }
  });
});
