import { launchChromium, requireChromium } from '@dispatch/driver-testkit/browser';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';

// What the issue reported, replayed in real Chromium: web pages from other origins try to create a function and
// to read a secret from a gateway running on this machine, as a developer's browser would let them.
const chromium = requireChromium();
const SECRET_VALUE = 'the-developers-cloud-key';
const REBOUND = 'rebind.test';

describe.skipIf(!chromium)('web pages against a gateway on loopback (headless Chromium)', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let browser: BrowserContext;
  let port: number;

  beforeAll(async () => {
    gateway = await startTestGateway({ memoryStore: true, listenHost: '127.0.0.1' });
    const address = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(address).port);
    await gateway.dispatch.secrets.create({ name: 'cloud', secrets: { key: SECRET_VALUE } });
    browser = await launchChromium({
      args: [
        // The attacker's DNS name answers with 127.0.0.1, as after a rebinding.
        `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`,
        // Recent Chromium blocks public pages from reaching loopback on its own; other browsers do not, so the
        // test turns that off: what must hold is the gateway's own defence.
        '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  async function functionNames(): Promise<string[]> {
    const response = await gateway.request({ method: 'GET', url: '/v1/function' });
    return response.json<{ name: string }[]>().map((fn) => fn.name);
  }

  /** Serves `html` as the page at `url` (the attacker's own server), without touching the gateway. */
  async function attackerPage(url: string, html: string) {
    const page = await browser.newPage();
    await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: html }));
    await page.goto(url);
    return page;
  }

  it('a form on another site cannot create a function', async () => {
    const target = `http://127.0.0.1:${port}/v1/function`;
    const forms = {
      urlencoded: '<input name="name" value="pwned-form"><input name="image" value="nodejs"><input name="source" value="x">',
      'text/plain': `<input name='{"name":"pwned-plain","image":"nodejs","source":"x","a":"' value='"}'>`,
    };
    for (const [enctype, fields] of Object.entries(forms)) {
      const type = enctype === 'urlencoded' ? 'application/x-www-form-urlencoded' : enctype;
      const page = await attackerPage(
        `http://attacker.test/${enctype === 'urlencoded' ? 'form' : 'plain'}.html`,
        `<form id="f" method="POST" enctype="${type}" action="${target}">${fields}</form>`,
      );
      const [response] = await Promise.all([page.waitForResponse(target), page.evaluate("document.getElementById('f').submit()")]);
      expect(response.status(), enctype).toBe(403);
      await page.close();
    }
    expect(await functionNames()).toEqual([]);
  });

  it('a no-cors fetch from another site cannot create a function or read a secret', async () => {
    const page = await attackerPage('http://attacker.test/fetch.html', '<p>hello</p>');
    const results = await page.evaluate(async (base) => {
      const body = JSON.stringify({ name: 'pwned-fetch', image: 'nodejs', source: 'x' });
      const post = await fetch(`${base}/v1/function`, { method: 'POST', mode: 'no-cors', body, headers: { 'content-type': 'text/plain' } });
      const read = await fetch(`${base}/v1/secret/cloud?reveal=true`, { mode: 'no-cors' });
      return { postType: post.type, readType: read.type, readBody: await read.text() };
    }, `http://127.0.0.1:${port}`);
    await page.close();
    // Opaque answers: the page learns nothing, and the gateway did nothing.
    expect(results).toEqual({ postType: 'opaque', readType: 'opaque', readBody: '' });
    expect(await functionNames()).toEqual([]);
  });

  it('a page whose own name was rebound to 127.0.0.1 is refused by Host', async () => {
    const origin = `http://${REBOUND}:${port}`;
    const page = await attackerPage(`${origin}/`, '<p>rebound</p>');
    const results = await page.evaluate(async () => {
      const read = await fetch('/v1/secret/cloud?reveal=true');
      const create = await fetch('/v1/function', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'pwned-rebind', image: 'nodejs', source: 'x' }),
      });
      return { read: read.status, readBody: await read.text(), create: create.status };
    });
    await page.close();
    expect(results.read).toBe(403);
    expect(results.create).toBe(403);
    expect(results.readBody).not.toContain(SECRET_VALUE);
    expect(JSON.parse(results.readBody)).toMatchObject({ code: 403, message: expect.stringContaining(`"${REBOUND}"`) });
    expect(await functionNames()).toEqual([]);
  });
});
