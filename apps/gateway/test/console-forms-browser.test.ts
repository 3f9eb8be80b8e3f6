import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireChromium } from '@dispatch/driver-testkit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFilesDir } from '../src/console/console-files.js';
import { screenshot, startConsoleSession, watchedPage, type ConsoleSession } from './console/browser-session.js';

const TOKEN = 'console-forms-test-token';
const built = existsSync(join(consoleFilesDir() ?? '', 'index.html'));
const SCHEMA_IN = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } };

if (!built) {
  const how = 'build it with `npx nx run @dispatch/console:build`';
  if (process.env.CI === 'true') throw new Error(`the console forms tests need the built console: ${how}`);
  console.warn(`skipping the console forms tests: the console is not built; ${how}`);
}
describe.skipIf(!built || !requireChromium())('the console forms: folders, drops, schema.in and the keyboard', () => {
  let session: ConsoleSession;
  beforeAll(async () => (session = await startConsoleSession(TOKEN)));
  afterAll(() => session?.close());

  it('signs in with the keyboard alone', async () => {
    const { page, problems } = await watchedPage(session.browser);
    await page.goto(`${session.gateway.url}/ui/`);
    // The token field takes the focus once the page has drawn; keys typed before that would go nowhere.
    await page.locator('#token:focus').waitFor();
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate<string>('document.activeElement.textContent')).resolves.toBe('Skip to the page');

    // The file pickers are reached with Tab like any control, past the page links.
    await page.getByRole('link', { name: 'Upload', exact: true }).press('Enter');
    await page.getByRole('heading', { name: 'Upload a function' }).waitFor();
    const reached: string[] = [];
    for (let step = 0; step < 12 && !reached.includes('source-folder'); step += 1) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate<string>('document.activeElement.id'));
    }
    expect(reached).toContain('source-file');
    expect(reached).toContain('source-folder');
    expect(problems).toEqual([]);
  });

  it('uploads a folder through the folder picker with a handler and schema.in, and the tester checks inputs against it', async () => {
    const folder = join(session.dataDir, 'greet');
    await mkdir(join(folder, '.git'), { recursive: true });
    await writeFile(join(folder, '.git/HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(folder, 'words.js'), "module.exports = { hello: 'Bonjour' };\n");
    await writeFile(
      join(folder, 'main.js'),
      "const { hello } = require('./words');\nmodule.exports = (context, payload) => `${hello}, ${payload.name}`;\n",
    );

    await session.gateway.dispatch.secrets.create({ name: 'greeting', secrets: { tone: 'warm' } });
    const { page, problems } = await session.openSignedIn('/upload');
    await page.locator('#source-folder').setInputFiles(folder);
    await page.getByText('Chosen: 2 files').waitFor(); // .git left out, as the CLI does
    await page.getByRole('checkbox', { name: 'greeting' }).check();
    await page.getByLabel('Name').fill('greet');
    await page.getByLabel('Image').selectOption('nodejs');
    await page.getByLabel('Handler').fill('main.js');
    await page.getByLabel(/^schema\.in/).fill(JSON.stringify(SCHEMA_IN));
    await page.getByRole('button', { name: 'Upload and deploy' }).click();
    await page
      .getByRole('heading', { name: /Progress/ })
      .getByText('READY')
      .waitFor({ timeout: 90_000 });
    expect((await session.gateway.dispatch.functions.get('greet')).schema?.in).toEqual(SCHEMA_IN);

    await page.goto(`${session.gateway.url}/ui/#/tester?function=greet`);
    const input = page.getByLabel(/^Input/);
    await input.fill('{"nom": 1}');
    await page
      .locator('#input-problems')
      .getByText(/input.*name/)
      .waitFor();
    await expect(page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).resolves.toBe(true);
    await screenshot(page, 'tester-schema-in');
    await input.fill('{"name": "Ada"');
    await page
      .locator('#input-problems')
      .getByText(/not JSON/)
      .waitFor();
    await input.fill('{"name": "Ada"}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByLabel('Output').getByText('Bonjour, Ada').waitFor();

    // The same name again updates the function in place.
    await writeFile(join(folder, 'words.js'), "module.exports = { hello: 'Salut' };\n");
    await page.goto(`${session.gateway.url}/ui/#/upload`);
    await page.locator('#source-folder').setInputFiles(folder);
    await page.getByLabel('Name').fill('greet');
    await page.getByLabel('Image').selectOption('nodejs');
    await page.getByLabel('Handler').fill('main.js');
    await page.getByRole('button', { name: 'Upload and deploy' }).click();
    await page.getByText('updated function greet').waitFor();
    await page
      .getByRole('heading', { name: /Progress/ })
      .getByText('READY')
      .waitFor({ timeout: 90_000 });
    await page.goto(`${session.gateway.url}/ui/#/tester?function=greet`);
    await page.getByLabel(/^Input/).fill('{"name": "Ada"}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByLabel('Output').getByText('Salut, Ada').waitFor();
    // What the form left alone kept its value: the secret, schema.in.
    expect(await session.gateway.dispatch.functions.get('greet')).toMatchObject({ secrets: ['greeting'], schema: { in: SCHEMA_IN } });
    expect(problems).toEqual([]);
  }, 120_000);

  it('takes a file dropped on the upload area', async () => {
    const { page, problems } = await session.openSignedIn('/upload');
    // What a drop of a file from the desktop hands the page: a DataTransfer holding it.
    await page.evaluate(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['def handle(context, payload):\\n    return 1\\n'], 'dropped.py', { type: 'text/x-python' }));
      document.querySelector('.drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    })()`);
    await page.getByText('Chosen: dropped.py').waitFor();
    await expect(page.getByLabel('Name').inputValue()).resolves.toBe('dropped');
    await expect(page.getByLabel('Image').inputValue()).resolves.toBe('python3');
    expect(problems).toEqual([]);
  });
});
