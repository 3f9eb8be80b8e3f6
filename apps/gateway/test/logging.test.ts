import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';

describe('request logs', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, token: 'log-token', loggerInstance: pino({ level: 'debug' }, sink) });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('logs each request at debug level with its request id, and no body, query or credentials', async () => {
    await gateway.request({
      method: 'POST',
      url: '/v1/secret?note=query-secret',
      headers: { 'x-request-id': 'req-42' },
      payload: { name: 'logged', secrets: { password: 'body-secret' } },
    });
    const mine = lines.filter((line) => line.reqId === 'req-42');
    expect(mine.map((line) => line.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    expect(mine.every((line) => line.level === 20)).toBe(true);
    expect(mine.find((line) => line.msg === 'request completed')).toMatchObject({ path: '/v1/secret', statusCode: 201 });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('body-secret');
    expect(text).not.toContain('query-secret');
    expect(text).not.toContain('log-token');
  });
});
