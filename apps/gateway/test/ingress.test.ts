import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS, HELLO_PY, createFunction, startTestGateway, writeFunction, type TestGateway } from './harness.js';

const SEED_HOST = 'default.dispatch-server.dispatch.local';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('endpoint ingress', () => {
  let gateway: TestGateway;
  /** What the gateway logged, one JSON object a line. */
  const logged: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });

  async function createEndpoint(body: Record<string, unknown>): Promise<void> {
    const response = await gateway.request({ method: 'POST', url: '/v1/endpoint', payload: body });
    expect(response.statusCode, response.body).toBe(201);
  }

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, token: 'admin-token', loggerInstance: pino({ level: 'info' }, logStream) });
    await createFunction(gateway, { name: 'hello', image: 'python3', sourcePath: HELLO_PY });
    await createFunction(gateway, { name: 'hello-js', image: 'nodejs', sourcePath: HELLO_JS });
    await createFunction(gateway, {
      name: 'echo',
      image: 'nodejs',
      sourcePath: await writeFunction(gateway, 'echo.js', 'module.exports = (context, payload) => payload;'),
    });
    await createFunction(gateway, {
      name: 'broken',
      image: 'nodejs',
      sourcePath: await writeFunction(gateway, 'broken.js', "module.exports = () => { throw new Error('no luck'); };"),
    });
    for (const secret of [
      { name: 'tokens', secrets: { ci: 'token-one', deploy: 'token-two' } },
      { name: 'users', secrets: { jon: 'snow' } },
    ]) {
      const response = await gateway.request({ method: 'POST', url: '/v1/secret', payload: secret });
      expect(response.statusCode).toBe(201);
    }
    await createEndpoint({ name: 'get-hello', function: 'hello', methods: ['GET', 'POST'], uris: ['/hello'] });
    await createEndpoint({ name: 'echo', function: 'echo', methods: ['GET', 'POST', 'DELETE'], uris: ['/echo'] });
    await createEndpoint({
      name: 'hosted',
      function: 'hello-js',
      methods: ['GET'],
      uris: ['/where'],
      hosts: ['api.example.com'],
    });
    await createEndpoint({ name: 'cors', function: 'hello-js', methods: ['GET', 'PUT'], uris: ['/cors'], cors: true });
    await createEndpoint({
      name: 'cors-origins',
      function: 'hello-js',
      methods: ['GET'],
      uris: ['/cors-origins'],
      cors: { enabled: true, origins: ['https://allowed.example.com'] },
    });
    await createEndpoint({
      name: 'bearer',
      function: 'hello-js',
      methods: ['GET'],
      uris: ['/bearer'],
      auth: 'bearer',
      authSecret: 'tokens',
    });
    await createEndpoint({
      name: 'basic',
      function: 'hello-js',
      methods: ['GET'],
      uris: ['/basic'],
      auth: 'basic',
      authSecret: 'users',
    });
    await createEndpoint({ name: 'off', function: 'hello-js', methods: ['GET'], uris: ['/off'], enabled: false });
    await createEndpoint({ name: 'broken', function: 'broken', methods: ['GET'], uris: ['/broken'] });
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it("answers GET with the function's output, the query as payload, matched by the seed's Host header", async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/hello?name=Jon', headers: { host: SEED_HOST } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ myField: 'Hello, Jon from Nowhere' });
  });

  it('takes a JSON body as the payload of a POST', async () => {
    const response = await gateway.app.inject({ method: 'POST', url: '/hello', payload: { name: 'Jon' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ myField: 'Hello, Jon from Nowhere' });
  });

  it('takes a form body as the payload of a POST', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/hello',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=Jon',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ myField: 'Hello, Jon from Nowhere' });
  });

  it('gives a repeated query key as an array, and the query map to DELETE', async () => {
    const get = await gateway.app.inject({ method: 'GET', url: '/echo?tag=a&tag=b&one=1' });
    expect(get.json()).toEqual({ tag: ['a', 'b'], one: '1' });
    const del = await gateway.app.inject({ method: 'DELETE', url: '/echo?id=7' });
    expect(del.json()).toEqual({ id: '7' });
  });

  it('passes any JSON document through, not only objects', async () => {
    const response = await gateway.app.inject({ method: 'POST', url: '/echo', payload: [1, 'two'] });
    expect(response.json()).toEqual([1, 'two']);
  });

  it('passes path parameters to the function in its payload, over query and body fields of the same name', async () => {
    await createEndpoint({ name: 'user', function: 'echo', methods: ['GET', 'POST'], uris: ['/users/:id/posts/:post'] });
    await createEndpoint({ name: 'files', function: 'echo', methods: ['GET'], uris: ['/files/*'] });
    const get = await gateway.app.inject({ method: 'GET', url: '/users/42/posts/hello%20world?sort=new&id=spoofed' });
    expect(get.json()).toEqual({ sort: 'new', id: '42', post: 'hello world' });
    const post = await gateway.app.inject({ method: 'POST', url: '/users/7/posts/1', payload: { text: 'hi', id: 'x' } });
    expect(post.json()).toEqual({ text: 'hi', id: '7', post: '1' });
    const form = await gateway.app.inject({
      method: 'POST',
      url: '/users/7/posts/2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'text=hi',
    });
    expect(form.json()).toEqual({ text: 'hi', id: '7', post: '2' });
    // The rest of a prefix path is not a parameter: existing prefix endpoints keep their payloads.
    expect((await gateway.app.inject({ method: 'GET', url: '/files/a/b?x=1' })).json()).toEqual({ x: '1' });
    const array = await gateway.app.inject({ method: 'POST', url: '/users/7/posts/3', payload: [1] });
    expect(array.statusCode).toBe(400);
    expect(array.json().message).toMatch(/path has parameters \(:id, :post\)/);
  });

  it('answers 415 to a body of another content type', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'text/plain' },
      payload: 'name=Jon',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({ code: 415, message: expect.stringContaining('text/plain') });
  });

  it('answers 400 to malformed JSON', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ code: 400, message: expect.stringMatching(/^malformed JSON/) });
  });

  it('matches an endpoint with hosts only on those hosts, with or without a port', async () => {
    const hosted = await gateway.app.inject({ method: 'GET', url: '/where', headers: { host: 'api.example.com:8080' } });
    expect(hosted.statusCode).toBe(200);
    const elsewhere = await gateway.app.inject({ method: 'GET', url: '/where', headers: { host: 'other.example.com' } });
    expect(elsewhere.statusCode).toBe(404);
  });

  it('answers 404 with {code, message} when no endpoint matches', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/nothing/here?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ code: 404, message: 'no endpoint matches GET /nothing/here' });
    const wrongMethod = await gateway.app.inject({ method: 'PUT', url: '/hello', payload: {} });
    expect(wrongMethod.statusCode).toBe(404);
  });

  it('does not serve a disabled endpoint', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/off' });
    expect(response.statusCode).toBe(404);
  });

  it('answers a function error with 502 and a generic message carrying the request id; the details go to the log', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/broken', headers: { 'x-request-id': 'trace-broken-1' } });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({ code: 502, message: 'the function failed (request id trace-broken-1)' });
    expect(response.headers['x-request-id']).toBe('trace-broken-1');
    expect(response.body).not.toMatch(/no luck|Error|at /);
    const entry = logged
      .map((line) => JSON.parse(line) as { reqId?: string; detail?: string })
      .find((line) => line.reqId === 'trace-broken-1' && line.detail);
    expect(entry?.detail).toMatch(/^FunctionError: .*no luck/);
  });

  it('keeps the full message on the admin API, for the same failure', async () => {
    const pub = await gateway.app.inject({ method: 'GET', url: '/broken', headers: { 'x-request-id': 'trace-broken-2' } });
    expect(pub.json<{ message: string }>().message).toBe('the function failed (request id trace-broken-2)');
    const admin = await gateway.request({ method: 'POST', url: '/v1/runs?functionName=broken', payload: {} });
    expect(admin.statusCode).toBe(502);
    expect(admin.json<{ message: string }>().message).toMatch(/^FunctionError: .*no luck/);
  });

  it('answers a CORS preflight with 204 and the allow headers', async () => {
    const response = await gateway.app.inject({
      method: 'OPTIONS',
      url: '/cors',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type, x-custom',
      },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(response.headers['access-control-allow-methods']).toContain('PUT');
    expect(response.headers['access-control-allow-headers']).toBe('content-type, x-custom');
    expect(response.headers.allow).toBe('GET, PUT, OPTIONS');
    expect(response.body).toBe('');
  });

  it('answers OPTIONS to an endpoint without CORS with its methods only, and never adds CORS to the API', async () => {
    const preflight = {
      origin: 'https://app.example.com',
      'access-control-request-method': 'GET',
    };
    const plain = await gateway.app.inject({ method: 'OPTIONS', url: '/hello', headers: preflight });
    expect(plain.statusCode).toBe(204);
    expect(plain.headers.allow).toContain('OPTIONS');
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    for (const url of ['/v1/function', '/healthz']) {
      const api = await gateway.app.inject({ method: 'OPTIONS', url, headers: preflight });
      expect(api.statusCode).toBe(404);
      expect(api.headers['access-control-allow-origin']).toBeUndefined();
      const get = await gateway.app.inject({ method: 'GET', url, headers: { origin: 'https://app.example.com' } });
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('adds CORS headers to the answers of a CORS endpoint only', async () => {
    const cors = await gateway.app.inject({ method: 'GET', url: '/cors', headers: { origin: 'https://app.example.com' } });
    expect(cors.statusCode).toBe(200);
    expect(cors.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const noOrigin = await gateway.app.inject({ method: 'GET', url: '/cors' });
    expect(noOrigin.headers['access-control-allow-origin']).toBe('*');
    const plain = await gateway.app.inject({ method: 'GET', url: '/hello', headers: { origin: 'https://app.example.com' } });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows only the listed origins when the endpoint names them', async () => {
    const allowed = await gateway.app.inject({
      method: 'GET',
      url: '/cors-origins',
      headers: { origin: 'https://allowed.example.com' },
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://allowed.example.com');
    expect(allowed.headers.vary).toBe('Origin');
    const other = await gateway.app.inject({
      method: 'GET',
      url: '/cors-origins',
      headers: { origin: 'https://evil.example.com' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('requires a bearer token that is a value of the endpoint auth secret', async () => {
    const none = await gateway.app.inject({ method: 'GET', url: '/bearer' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(none.json<{ code: number }>().code).toBe(401);

    const wrong = await gateway.app.inject({ method: 'GET', url: '/bearer', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const admin = await gateway.app.inject({
      method: 'GET',
      url: '/bearer',
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(admin.statusCode).toBe(401);

    const right = await gateway.app.inject({
      method: 'GET',
      url: '/bearer?name=CI',
      headers: { authorization: 'Bearer token-two' },
    });
    expect(right.statusCode).toBe(200);
    expect(right.json()).toEqual({ myField: 'Hello, CI from Nowhere' });
  });

  it('requires a basic user and password that are an entry of the endpoint auth secret', async () => {
    const none = await gateway.app.inject({ method: 'GET', url: '/basic' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic /);
    const wrong = await gateway.app.inject({ method: 'GET', url: '/basic', headers: { authorization: basic('jon', 'stark') } });
    expect(wrong.statusCode).toBe(401);
    const unknown = await gateway.app.inject({ method: 'GET', url: '/basic', headers: { authorization: basic('arya', 'snow') } });
    expect(unknown.statusCode).toBe(401);
    const right = await gateway.app.inject({ method: 'GET', url: '/basic', headers: { authorization: basic('jon', 'snow') } });
    expect(right.statusCode).toBe(200);
  });

  it('serves endpoints without the admin token, and keeps /v1 and /healthz ahead of them', async () => {
    const health = await gateway.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok' });
    const admin = await gateway.app.inject({ method: 'GET', url: '/v1/function' });
    expect(admin.statusCode).toBe(401);
  });

  it('stops serving an endpoint once it is deleted', async () => {
    await createEndpoint({ name: 'short-lived', function: 'echo', methods: ['GET'], uris: ['/short'] });
    expect((await gateway.app.inject({ method: 'GET', url: '/short' })).statusCode).toBe(200);
    const deleted = await gateway.request({ method: 'DELETE', url: '/v1/endpoint/short-lived' });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ name: 'short-lived' });
    expect((await gateway.app.inject({ method: 'GET', url: '/short' })).statusCode).toBe(404);
  });
});
