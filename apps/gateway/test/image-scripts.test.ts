import type { Image } from '@dispatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';

describe('install scripts of an image through the REST API', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('keeps runtimeDependencies.allowScripts, off unless asked, and refuses a value that is not a boolean', async () => {
    const manifest = JSON.stringify({ dependencies: {} });
    const bad = await gateway.request({
      method: 'POST',
      url: '/v1/image',
      payload: { name: 'bad-scripts', baseImage: 'nodejs-base', runtimeDependencies: { manifest, allowScripts: 'yes' } },
    });
    expect(bad.statusCode).toBe(400);

    const plain = await gateway.request({
      method: 'POST',
      url: '/v1/image',
      payload: { name: 'plain', baseImage: 'nodejs-base', runtimeDependencies: { manifest } },
    });
    expect(plain.statusCode).toBe(201);
    expect(plain.json<Image>().runtimeDependencies.allowScripts).toBeUndefined();

    const allowed = await gateway.request({
      method: 'POST',
      url: '/v1/image',
      payload: { name: 'scripts', baseImage: 'nodejs-base', runtimeDependencies: { manifest, allowScripts: true } },
    });
    expect(allowed.statusCode).toBe(201);
    expect((await gateway.request({ method: 'GET', url: '/v1/image/scripts' })).json<Image>().runtimeDependencies).toEqual({
      manifest,
      allowScripts: true,
    });

    // Turning scripts off alone keeps the manifest.
    const off = await gateway.request({
      method: 'PUT',
      url: '/v1/image/scripts',
      payload: { runtimeDependencies: { allowScripts: false } },
    });
    expect(off.statusCode).toBe(200);
    expect(off.json<Image>().runtimeDependencies).toEqual({ manifest });
  });
});
