import type { DispatchFunction, Image, Run } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { EXAMPLES, HELLO_PY, createFunction, sourceOf, startTestGateway, writeFunction, type TestGateway } from './harness.js';

// Images and functions through their lifecycle, and the references between entities.
describe('images and functions through their lifecycle', () => {
  let gateway: TestGateway;

  const get = async <T>(url: string) => (await gateway.request({ method: 'GET', url })).json<T>();
  const run = async (functionName: string, input: unknown) =>
    (await gateway.request({ method: 'POST', url: `/v1/runs?functionName=${functionName}`, payload: { input } })).json<Run>();

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('builds an image with an npm dependency, and a function on it requires the package', async () => {
    const manifest = await readFile(join(EXAMPLES, 'nodejs/slugify/package.json'), 'utf8');
    const created = await gateway.request({
      method: 'POST',
      url: '/v1/image',
      payload: { name: 'nodejs-slugify', baseImage: 'nodejs-base', runtimeDependencies: { manifest } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json<Image>().status).toBe('INITIALIZED');
    const image = await gateway.dispatch.images.waitUntilReady('nodejs-slugify', { timeoutMs: 120_000 });
    expect(image.imageURL).not.toBe('');
    await createFunction(gateway, {
      name: 'slugify',
      image: 'nodejs-slugify',
      sourcePath: join(EXAMPLES, 'nodejs/slugify/slugify.js'),
    });
    expect((await run('slugify', { title: 'Hello, Dispatch World!' })).output).toEqual({ slug: 'hello-dispatch-world' });
  }, 180_000);

  it('puts an image whose dependencies cannot be installed in ERROR with the installer line as reason', async () => {
    await gateway.request({
      method: 'POST',
      url: '/v1/image',
      payload: {
        name: 'nodejs-missing',
        baseImage: 'nodejs-base',
        runtimeDependencies: { manifest: '{"dependencies": {"dispatch-no-such-package-zz": "1.0.0"}}' },
      },
    });
    await expect(gateway.dispatch.images.waitUntilReady('nodejs-missing', { timeoutMs: 120_000 })).rejects.toThrow(/404|E404|not found/i);
    const image = await get<Image>('/v1/image/nodejs-missing');
    expect(image.status).toBe('ERROR');
    expect(image.reason).toMatch(/dispatch-no-such-package-zz/);
  }, 180_000);

  it('creates an image from a base image URL as the seed does, telling its language from the URL', async () => {
    const created = await gateway.request({
      method: 'POST',
      url: '/v1/image',
      payload: { name: 'seed-python', baseImage: 'dispatchframework/python3-base:0.0.13-knative' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json<Image>().language).toBe('python3');
    await gateway.dispatch.images.waitUntilReady('seed-python', { timeoutMs: 60_000 });
  });

  it('answers 404 for a function on an unknown image or with an unknown secret', async () => {
    const source = await sourceOf(HELLO_PY);
    const noImage = await gateway.request({ method: 'POST', url: '/v1/function', payload: { name: 'orphan', image: 'nope', source } });
    expect(noImage.statusCode).toBe(404);
    expect(noImage.json()).toEqual({
      code: 404,
      kind: 'EntityNotFound',
      entity: { kind: 'image', name: 'nope' },
      message: 'image "nope" not found',
    });
    const noSecret = await gateway.request({
      method: 'POST',
      url: '/v1/function',
      payload: { name: 'orphan', image: 'python3', source, secrets: ['nope'] },
    });
    expect(noSecret.json()).toEqual({
      code: 404,
      kind: 'EntityNotFound',
      entity: { kind: 'secret', name: 'nope' },
      message: 'secret "nope" not found',
    });
  });

  it('refuses to delete an image, a secret or a function that something still uses (409)', async () => {
    await gateway.request({ method: 'POST', url: '/v1/secret', payload: { name: 'place', secrets: { place: 'Paris' } } });
    await createFunction(gateway, { name: 'user-of-things', image: 'python3', sourcePath: HELLO_PY, secrets: ['place'] });
    await gateway.request({
      method: 'POST',
      url: '/v1/endpoint',
      payload: { name: 'uses-fn', function: 'user-of-things', uris: ['/used'] },
    });
    for (const url of ['/v1/image/python3', '/v1/secret/place', '/v1/function/user-of-things', '/v1/baseimage/python3-base']) {
      const response = await gateway.request({ method: 'DELETE', url });
      expect(response.statusCode, url).toBe(409);
      expect(response.json<{ message: string }>().message).toMatch(/is used by/);
    }
  });

  it('serves the new code after each update and keeps the source when only other fields change', async () => {
    const v1 = await writeFunction(gateway, 'versioned.js', 'module.exports = () => "v1";\n');
    await createFunction(gateway, { name: 'versioned', image: 'nodejs', sourcePath: v1 });
    expect((await run('versioned', null)).output).toBe('v1');

    for (const version of ['v2', 'v3']) {
      const path = await writeFunction(gateway, `versioned-${version}.js`, `module.exports = () => "${version}";\n`);
      const updated = await gateway.request({
        method: 'PUT',
        url: '/v1/function/versioned',
        payload: { source: await sourceOf(path), handler: `versioned-${version}.js` },
      });
      expect(updated.statusCode).toBe(200);
      await gateway.dispatch.functions.waitUntilReady('versioned', { timeoutMs: 60_000 });
      expect((await run('versioned', null)).output).toBe(version);
    }

    const before = await get<DispatchFunction>('/v1/function/versioned');
    await gateway.request({ method: 'PUT', url: '/v1/function/versioned', payload: { timeout: 5000 } });
    await gateway.dispatch.functions.waitUntilReady('versioned', { timeoutMs: 60_000 });
    const after = await get<DispatchFunction>('/v1/function/versioned');
    expect(after.source).toBe(before.source);
    expect(after.image).toBe('nodejs');
    expect(after.timeout).toBe(5000);
    expect((await run('versioned', null)).output).toBe('v3');
  }, 120_000);

  it('puts a function in ERROR with the loader message when an update fails to load', async () => {
    const good = await writeFunction(gateway, 'steady.js', 'module.exports = () => "good";\n');
    await createFunction(gateway, { name: 'steady', image: 'nodejs', sourcePath: good });
    const bad = await writeFunction(gateway, 'steady-bad.js', 'module.exports = ;\n');
    await gateway.request({
      method: 'PUT',
      url: '/v1/function/steady',
      payload: { source: await sourceOf(bad), handler: 'steady-bad.js' },
    });
    await expect(gateway.dispatch.functions.waitUntilReady('steady', { timeoutMs: 60_000 })).rejects.toThrow(/SyntaxError/);
    expect((await get<DispatchFunction>('/v1/function/steady')).reason).toContain('SyntaxError');
  });

  it("streams an image's build lines and status changes as NDJSON until it is READY", async () => {
    const manifest = JSON.stringify({ dependencies: { 'is-number': '7.0.0' } });
    await gateway.request({
      method: 'POST',
      url: '/v1/image',
      payload: { name: 'nodejs-watched', baseImage: 'nodejs-base', runtimeDependencies: { manifest } },
    });
    const response = await gateway.request({ method: 'GET', url: '/v1/image/nodejs-watched/events' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    const events = response.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; status?: string; line?: string });
    expect(events.at(-1)).toEqual({ type: 'status', status: 'READY', reason: '' });
    expect(events.some((event) => event.type === 'progress' && typeof event.line === 'string')).toBe(true);
    // A READY entity's stream is its status, at once.
    const again = await gateway.request({ method: 'GET', url: '/v1/image/nodejs-watched/events' });
    expect(again.body.trim()).toBe('{"type":"status","status":"READY","reason":""}');
    expect((await gateway.request({ method: 'GET', url: '/v1/image/nope/events' })).statusCode).toBe(404);
  }, 120_000);
});
