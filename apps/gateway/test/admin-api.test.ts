import type { DispatchFunction, Endpoint, Secret } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_JS, sourceOf, startTestGateway, type TestGateway } from './harness.js';

describe('the admin API', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, bodyLimit: 64 * 1024 });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  describe('secrets', () => {
    it('creates a secret (201) and answers its values hidden', async () => {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/secret',
        payload: { name: 'db', secrets: { user: 'admin', password: 's3cret' }, tags: [{ key: 'env', value: 'prod' }] },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json<Secret>()).toMatchObject({ name: 'db', secrets: { user: '<hidden>', password: '<hidden>' } });
      expect(response.body).not.toContain('s3cret');
    });

    it('hides values on get and list unless reveal=true', async () => {
      const hidden = await gateway.request({ method: 'GET', url: '/v1/secret/db' });
      expect(hidden.json<Secret>().secrets).toEqual({ user: '<hidden>', password: '<hidden>' });
      const revealed = await gateway.request({ method: 'GET', url: '/v1/secret/db?reveal=true' });
      expect(revealed.json<Secret>().secrets).toEqual({ user: 'admin', password: 's3cret' });

      const list = await gateway.request({ method: 'GET', url: '/v1/secret' });
      expect(list.body).not.toContain('s3cret');
      const revealedList = await gateway.request({ method: 'GET', url: '/v1/secret?reveal=true' });
      expect(revealedList.json<Secret[]>().find((s) => s.name === 'db')?.secrets.password).toBe('s3cret');
    });

    it('answers 409 to a duplicate name', async () => {
      const response = await gateway.request({ method: 'POST', url: '/v1/secret', payload: { name: 'db', secrets: {} } });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({ code: 409, message: expect.any(String) });
    });

    it('updates with PUT and deletes with DELETE, answering the entity', async () => {
      const updated = await gateway.request({
        method: 'PUT',
        url: '/v1/secret/db',
        payload: { secrets: { user: 'root' } },
      });
      expect(updated.statusCode).toBe(200);
      const revealed = await gateway.request({ method: 'GET', url: '/v1/secret/db?reveal=true' });
      expect(revealed.json<Secret>().secrets).toEqual({ user: 'root' });

      const deleted = await gateway.request({ method: 'DELETE', url: '/v1/secret/db' });
      expect(deleted.statusCode).toBe(200);
      expect(deleted.json<Secret>().name).toBe('db');
      const gone = await gateway.request({ method: 'GET', url: '/v1/secret/db' });
      expect(gone.statusCode).toBe(404);
      expect(gone.json()).toEqual({
        code: 404,
        kind: 'EntityNotFound',
        entity: { kind: 'secret', name: 'db' },
        message: 'secret "db" not found',
      });
    });

    it('answers 409 to an update naming a stale revision', async () => {
      const created = await gateway.request({ method: 'POST', url: '/v1/secret', payload: { name: 'rev', secrets: {} } });
      const { revision } = created.json<Secret>();
      const first = await gateway.request({ method: 'PUT', url: '/v1/secret/rev', payload: { secrets: { a: '1' }, revision } });
      expect(first.statusCode).toBe(200);
      const stale = await gateway.request({ method: 'PUT', url: '/v1/secret/rev', payload: { secrets: { a: '2' }, revision } });
      expect(stale.statusCode).toBe(409);
    });
  });

  describe('validation', () => {
    it('answers 400 to an invalid name, with the message from core', async () => {
      const response = await gateway.request({ method: 'POST', url: '/v1/secret', payload: { name: 'Not_A_Name', secrets: {} } });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: 400, message: expect.stringContaining('Not_A_Name') });
    });

    it('answers 400 naming the field when a field has the wrong type', async () => {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/endpoint',
        payload: { name: 'bad', function: 'x', methods: ['GET'], enabled: 'maybe' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: 400, message: expect.stringContaining('enabled') });
    });

    it('takes a body as typed JSON: a number where a name is expected is a 400, not a name "5"', async () => {
      const response = await gateway.request({ method: 'POST', url: '/v1/function', payload: { name: 'typed', image: 5 } });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: 400, message: expect.stringContaining('image') });
      // Query strings are text and are still read as the types their schemas say.
      const listed = await gateway.request({ method: 'GET', url: '/v1/secret?reveal=true' });
      expect(listed.statusCode).toBe(200);
    });

    it('answers 400 naming a missing required field', async () => {
      const response = await gateway.request({ method: 'POST', url: '/v1/secret', payload: { secrets: {} } });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: 400, message: expect.stringContaining("'name'") });
    });

    it('ignores unknown fields such as the kind the CLI sends', async () => {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/secret',
        payload: { kind: 'Secret', name: 'extra', secrets: { a: 'b' }, id: 'mine', status: 'ERROR', whatever: [1] },
      });
      expect(response.statusCode).toBe(201);
      const body = response.json<Secret & { kind?: string; whatever?: unknown }>();
      expect(body.kind).toBeUndefined();
      expect(body.whatever).toBeUndefined();
      expect(body.id).not.toBe('mine');
      expect(body.status).toBe('READY');
    });

    it('answers 400 "malformed JSON" to a body that is not JSON, and to an empty JSON body', async () => {
      const malformed = await gateway.request({
        method: 'POST',
        url: '/v1/secret',
        headers: { 'content-type': 'application/json' },
        payload: '{"name": "x",',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toEqual({ code: 400, message: expect.stringMatching(/^malformed JSON: /) });
      const empty = await gateway.request({
        method: 'POST',
        url: '/v1/secret',
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      expect(empty.statusCode).toBe(400);
      expect(empty.json<{ message: string }>().message).toMatch(/^malformed JSON: /);
    });

    it('answers 415 to an unsupported content type', async () => {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/secret',
        headers: { 'content-type': 'text/plain' },
        payload: 'name=x',
      });
      expect(response.statusCode).toBe(415);
      expect(response.json<{ code: number }>().code).toBe(415);
    });

    it('answers 413 to a body over the limit', async () => {
      const response = await gateway.request({
        method: 'POST',
        url: '/v1/function',
        payload: { name: 'big', image: 'nodejs', source: 'A'.repeat(70 * 1024) },
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({ code: 413, message: expect.stringContaining(String(64 * 1024)) });
    });

    it('answers 404 "no route", of kind RouteNotFound, to an unknown admin path', async () => {
      const response = await gateway.request({ method: 'GET', url: '/v1/nothing?x=1' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ code: 404, kind: 'RouteNotFound', message: 'no route for GET /v1/nothing' });
    });
  });

  describe('functions, images and endpoints', () => {
    it('creates a function from a base64 source and lists it by tag', async () => {
      const created = await gateway.request({
        method: 'POST',
        url: '/v1/function',
        payload: {
          name: 'tagged',
          image: 'nodejs',
          source: await sourceOf(HELLO_JS),
          tags: [{ key: 'team', value: 'web' }],
        },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json<DispatchFunction>()).toMatchObject({ name: 'tagged', image: 'nodejs' });

      const byTag = await gateway.request({ method: 'GET', url: '/v1/function?tags=team=web' });
      expect(byTag.json<DispatchFunction[]>().map((f) => f.name)).toEqual(['tagged']);
      const otherTag = await gateway.request({ method: 'GET', url: '/v1/function?tags=team=api' });
      expect(otherTag.json()).toEqual([]);
      const badFilter = await gateway.request({ method: 'GET', url: '/v1/function?tags=team' });
      expect(badFilter.statusCode).toBe(400);

      const ready = await gateway.dispatch.functions.waitUntilReady('tagged', { timeoutMs: 120_000 });
      expect(ready.status).toBe('READY');
      const read = await gateway.request({ method: 'GET', url: '/v1/function/tagged' });
      expect(read.json<DispatchFunction>().status).toBe('READY');
    });

    it("keeps a function's memory and CPU limits, removes them with {} and refuses nonsense (400)", async () => {
      const updated = await gateway.request({
        method: 'PUT',
        url: '/v1/function/tagged',
        payload: { limits: { memoryMB: 128, cpus: 0.5 } },
      });
      expect(updated.statusCode).toBe(200);
      expect((await gateway.request({ method: 'GET', url: '/v1/function/tagged' })).json<DispatchFunction>().limits).toEqual({
        memoryMB: 128,
        cpus: 0.5,
      });
      const bad = await gateway.request({ method: 'PUT', url: '/v1/function/tagged', payload: { limits: { cpus: 0 } } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({ code: 400, message: expect.stringContaining('limits.cpus') });
      const unknown = await gateway.request({ method: 'PUT', url: '/v1/function/tagged', payload: { limits: { memory: '1g' } } });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json<{ message: string }>().message).toContain('unknown field "memory"');
      await gateway.request({ method: 'PUT', url: '/v1/function/tagged', payload: { limits: {} } });
      expect((await gateway.request({ method: 'GET', url: '/v1/function/tagged' })).json<DispatchFunction>().limits).toBeUndefined();
      await gateway.dispatch.functions.waitUntilReady('tagged', { timeoutMs: 120_000 });
    });

    it('lists the default images and base images of a new install', async () => {
      const images = await gateway.request({ method: 'GET', url: '/v1/image' });
      expect(images.statusCode).toBe(200);
      expect(images.json<{ name: string }[]>().map((i) => i.name)).toEqual(expect.arrayContaining(['nodejs', 'python3']));
      const baseImages = await gateway.request({ method: 'GET', url: '/v1/baseimage' });
      expect(baseImages.json<{ name: string; language: string }[]>()).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'nodejs-base', language: 'nodejs' })]),
      );
    });

    it('refuses endpoint paths that climb or hide a slash (400)', async () => {
      for (const uri of ['/a/../v1/secret', '/files/..', '/a/./b', '/a%2Fb', '/a%2e%2e/b', '/a\\b']) {
        const response = await gateway.request({
          method: 'POST',
          url: '/v1/endpoint',
          payload: { name: 'sneaky', function: 'tagged', methods: ['GET'], uris: [uri] },
        });
        expect(response.statusCode, uri).toBe(400);
        expect(response.json<{ message: string }>().message).toContain('may not contain ".."');
      }
    });

    it('creates, reads, updates and deletes an endpoint', async () => {
      const created = await gateway.request({
        method: 'POST',
        url: '/v1/endpoint',
        payload: { name: 'web', function: 'tagged', methods: ['GET'], uris: ['/web'], cors: true },
      });
      expect(created.statusCode).toBe(201);
      const updated = await gateway.request({
        method: 'PUT',
        url: '/v1/endpoint/web',
        payload: { methods: ['GET', 'POST'] },
      });
      expect(updated.statusCode).toBe(200);
      expect(updated.json<Endpoint>()).toMatchObject({ methods: ['GET', 'POST'], uris: ['/web'], cors: true });
      const listed = await gateway.request({ method: 'GET', url: '/v1/endpoint' });
      expect(listed.json<Endpoint[]>().map((e) => e.name)).toContain('web');
      const deleted = await gateway.request({ method: 'DELETE', url: '/v1/endpoint/web' });
      expect(deleted.statusCode).toBe(200);
      expect((await gateway.request({ method: 'GET', url: '/v1/endpoint/web' })).statusCode).toBe(404);
    });
  });

  describe('server information', () => {
    it('answers /healthz with ok', async () => {
      const response = await gateway.app.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });

    it('shows the version and the backend', async () => {
      const response = await gateway.request({ method: 'GET', url: '/v1/version' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), backend: 'local' });
    });

    it('serves an OpenAPI document listing the routes and their schemas', async () => {
      const response = await gateway.request({ method: 'GET', url: '/v1/openapi.json' });
      expect(response.statusCode).toBe(200);
      const document = response.json<{
        openapi: string;
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
        components: { schemas: Record<string, unknown> };
      }>();
      expect(document.openapi).toMatch(/^3\./);
      for (const kind of ['baseimage', 'image', 'function', 'secret', 'endpoint']) {
        expect(Object.keys(document.paths[`/v1/${kind}`] ?? {}).sort()).toEqual(['get', 'post']);
        expect(Object.keys(document.paths[`/v1/${kind}/{name}`] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
      }
      expect(document.paths['/v1/runs']).toHaveProperty('post');
      expect(document.paths['/v1/runs/{id}']).toHaveProperty('get');
      expect(document.paths['/v1/version']).toHaveProperty('get');
      expect(document.paths['/healthz']).toHaveProperty('get');
      expect(document.paths['/v1/runs']?.post?.responses).toHaveProperty('200');
      expect(document.components.schemas).toHaveProperty('Error');
      expect(document.components.schemas).toHaveProperty('Function');
      expect(document.components.schemas).toHaveProperty('Run');
    });
  });
});
