import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, consoleRoutes } from '../src/console/console-routes.js';

describe('the console at /ui', () => {
  let dir: string;
  let app: FastifyInstance;
  const script = 'console.log("console");'.repeat(50);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dispatch-console-files-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/ui/assets/console-ABC.js"></script>');
    await writeFile(join(dir, 'assets/console-ABC.js'), script);
    await writeFile(join(dir, 'assets/console-ABC.js.gz'), gzipSync(script));
    app = Fastify();
    await app.register(consoleRoutes, { prefix: '/ui', filesDir: dir });
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the page at /ui and /ui/ with a strict CSP, checked again on every load', async () => {
    const bare = await app.inject({ url: '/ui' });
    expect(bare.statusCode).toBe(200);
    expect(bare.body).toContain('<!doctype html>');
    const page = await app.inject({ url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  it('caches hashed assets for a year and sends them gzipped to browsers that take gzip', async () => {
    const plain = await app.inject({ url: '/ui/assets/console-ABC.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toBe(script);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gzipped = await app.inject({ url: '/ui/assets/console-ABC.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(Number(gzipped.headers['content-length'])).toBeLessThan(script.length);
    expect(gzipped.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it('answers 404 as JSON for a file it does not have', async () => {
    const missing = await app.inject({ url: '/ui/assets/nothing.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 404, message: 'the console has no page /ui/assets/nothing.js' });
  });
});

describe('a gateway built without the console', () => {
  it('says how to build it instead of serving an empty page', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'dispatch-console-empty-'));
    const app = Fastify();
    try {
      await app.register(consoleRoutes, { prefix: '/ui', filesDir: empty });
      for (const url of ['/ui/', '/ui/assets/console.js']) {
        const answer = await app.inject({ url });
        expect(answer.statusCode).toBe(503);
        expect(answer.json().message).toContain('npx nx run @dispatch/console:build');
      }
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
