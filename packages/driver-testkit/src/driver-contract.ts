// The driver contract: one suite in one file, so that every backend runs the same list of behaviours in the same
// order, and a new behaviour is added once for all of them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver, Language, RunEnvelope } from '@dispatch/core/driver';
import { fixtureHandler, packFixture } from './fixtures.js';
import { callFunction, collectLogs, deploySpec, eventually, plainImage, waitForLogLine } from './helpers.js';

/** What a driver's additional tests can reach. */
export interface DriverContractContext {
  /** The driver under test; set once the suite's `beforeAll` ran. */
  readonly driver: Driver;
  /** Multiply waits by this for slow backends. */
  readonly timeoutScale: number;
}

/** Options of `driverContract`. */
export interface DriverContractOptions {
  /** Shown in the suite's name: `driver contract: <name>`. */
  name: string;
  createDriver: () => Promise<Driver> | Driver;
  /** An image URL for a language without dependencies; default: `buildImage` with an empty manifest. */
  imageFor?: (driver: Driver, language: Language) => Promise<string>;
  /** Multiplies every timeout of the suite, for backends that start functions slowly; default 1. */
  timeoutScale?: number;
  /** The languages to run the suite for; default both. */
  languages?: Language[];
  /** More tests, declared inside the suite's `describe`. */
  additionalTests?: (context: DriverContractContext) => void;
  /**
   * Prefix of the suite's function names (`<prefix>-nodejs`); default `contract-<random>`, so that suites of
   * several drivers sharing one engine never touch each other's functions or images.
   */
  namePrefix?: string;
  /**
   * The backend's logs cannot tell stdout from stderr (Kubernetes' pods/log merges them): stderr lines are
   * then expected in the logs without their stream checked.
   */
  logStreamsMerged?: boolean;
}

/** How each language's fixtures fail to load, in the loader's words. */
const LOAD_ERRORS: Record<Language, RegExp> = {
  nodejs: /SyntaxError/,
  python3: /ModuleNotFoundError: No module named 'nope'/,
};

/** The function's own timeout in the suite, short so that the timeout tests stay quick. */
const FUNCTION_TIMEOUT_MS = 1500;

/**
 * The behaviour every Dispatch driver has, against its real engine: deploy → ready → invoke (payload,
 * logs, secrets, each error type, timeout, a handler that exits) → concurrency → update → scale →
 * remove, and bad input. A driver's test file calls it in a few lines:
 *
 *   driverContract({ name: 'local', createDriver: () => createLocalDriver({ dataDir }) });
 */
export function driverContract(options: DriverContractOptions): void {
  const scale = options.timeoutScale ?? 1;
  const imageFor = options.imageFor ?? plainImage;
  const languages = options.languages ?? ['nodejs', 'python3'];
  const functionTimeout = FUNCTION_TIMEOUT_MS * scale;
  const testTimeout = 60_000 * scale;
  const namePrefix = options.namePrefix ?? `contract-${randomBytes(3).toString('hex')}`;
  let driver: Driver | undefined;
  const context: DriverContractContext = {
    get driver(): Driver {
      if (driver === undefined) throw new Error('the driver is created in beforeAll');
      return driver;
    },
    timeoutScale: scale,
  };

  describe(`driver contract: ${options.name}`, () => {
    beforeAll(async () => {
      driver = await options.createDriver();
    }, testTimeout);

    afterAll(async () => {
      await driver?.dispose();
    }, testTimeout);

    describe('bad input', () => {
      it('rejects a call to an unknown function with NotFoundError', async () => {
        await expect(callFunction(context.driver, 'contract-no-such-function', {})).rejects.toMatchObject({
          name: 'NotFoundError',
          code: 404,
        });
      });

      it('answers the status of an unknown function with NotFoundError', async () => {
        await expect(context.driver.status('contract-no-such-function')).rejects.toMatchObject({ code: 404 });
      });

      it('removes an unknown function without complaint', async () => {
        await expect(context.driver.remove('contract-no-such-function')).resolves.toBeUndefined();
      });
    });

    for (const language of languages) {
      describe(language, () => {
        const name = `${namePrefix}-${language}`;
        const handler = fixtureHandler(language);
        let imageURL = '';
        const call = (payload: unknown, callOptions?: Parameters<typeof callFunction>[3]): Promise<RunEnvelope> =>
          callFunction(context.driver, name, payload, { deadlineMs: 30_000 * scale, ...callOptions });

        beforeAll(async () => {
          imageURL = await imageFor(context.driver, language);
        }, testTimeout * 2);

        afterAll(async () => {
          await driver?.remove(name);
          await driver?.remove(`${name}-broken`);
        }, testTimeout);

        it(
          'deploys a function that then reports ready',
          async () => {
            const source = await packFixture(language);
            await context.driver.deploy(deploySpec({ name, language, imageURL, source, handler, timeout: functionTimeout }));
            const status = await eventually(async () => {
              const current = await context.driver.status(name);
              expect(current.ready).toBe(true);
              return current;
            }, testTimeout);
            expect(status.replicas.ready).toBeGreaterThanOrEqual(1);
            expect(status.failed ?? false).toBe(false);
          },
          testTimeout,
        );

        it(
          'passes the payload in and the return value out, with stdout in the run logs',
          async () => {
            const envelope = await call({ action: 'hello', name: 'user' });
            expect(envelope.context.error).toBeUndefined();
            expect(envelope.payload).toEqual({ myField: 'Hello, user from Nowhere' });
            expect(envelope.context.logs.stdout).toContain('messages to stdout show up in logs');
          },
          testTimeout,
        );

        it(
          "keeps the function's log lines for logs()",
          async ({ skip }) => {
            if (context.driver.logs === undefined) return skip(`the ${context.driver.name} driver has no logs()`);
            const marker = `marker-${language}-${Date.now()}`;
            const followed = waitForLogLine(context.driver, name, (line) => line.line === marker, 10_000 * scale);
            await call({ action: 'log', line: marker });
            expect((await followed).stream).toBe('stdout');
            const lines = await eventually(async () => {
              const buffered = await collectLogs(context.driver, name);
              expect(buffered.map((line) => line.line)).toContain(`stderr ${marker}`);
              return buffered;
            }, 10_000 * scale);
            if (!options.logStreamsMerged) expect(lines.find((line) => line.line === `stderr ${marker}`)?.stream).toBe('stderr');
            const tail = await collectLogs(context.driver, name, 1);
            expect(tail.length).toBeLessThanOrEqual(1);
          },
          testTimeout,
        );

        it(
          'passes context.secrets to the handler',
          async () => {
            const envelope = await call({ action: 'hello', name: 'user' }, { secrets: { place: 'Paris' } });
            expect(envelope.payload).toEqual({ myField: 'Hello, user from Paris' });
            const secrets = await call({ action: 'secrets' }, { secrets: { a: '1', b: 'two' } });
            expect(secrets.payload).toEqual({ secrets: { a: '1', b: 'two' } });
          },
          testTimeout,
        );

        it(
          `reports ${language === 'nodejs' ? 'a TypeError' : 'a ValueError'} as an InputError`,
          async () => {
            const envelope = await call({ action: 'input-error' });
            expect(envelope.context.error).toMatchObject({ type: 'InputError' });
            expect(envelope.context.error?.message).toContain('name must be a string');
            expect(envelope.payload).toBeNull();
          },
          testTimeout,
        );

        it(
          'reports any other exception as a FunctionError with a stacktrace',
          async () => {
            const envelope = await call({ action: 'fail' });
            expect(envelope.context.error).toMatchObject({ type: 'FunctionError' });
            expect(envelope.context.error?.message).toContain('the function failed on purpose');
            expect(envelope.context.error?.stacktrace?.length ?? 0).toBeGreaterThan(0);
          },
          testTimeout,
        );

        it(
          'answers a call that runs past its timeout with a FunctionError, then serves the next call',
          async () => {
            const envelope = await call(
              { action: 'sleep', ms: functionTimeout * 4 },
              { timeoutMs: functionTimeout, deadlineMs: functionTimeout + 10_000 * scale },
            );
            expect(envelope.context.error).toMatchObject({ type: 'FunctionError' });
            expect(envelope.context.error?.message).toMatch(/^function timed out after/);
            const next = await call({ action: 'hello', name: 'again' });
            expect(next.context.error).toBeUndefined();
            expect(next.payload).toEqual({ myField: 'Hello, again from Nowhere' });
          },
          testTimeout,
        );

        it(
          'answers a handler that exits the process with an error, then serves the next call',
          async () => {
            const envelope = await call({ action: 'exit', code: 2 });
            expect(envelope.context.error).toBeDefined();
            expect(envelope.context.error?.type).toBe('FunctionError');
            const next = await call({ action: 'hello', name: 'again' });
            expect(next.context.error).toBeUndefined();
            expect(next.payload).toEqual({ myField: 'Hello, again from Nowhere' });
          },
          testTimeout,
        );

        it(
          'serves 50 concurrent calls, each with its own payload',
          async () => {
            const values = Array.from({ length: 50 }, (_, i) => `value-${i}`);
            const envelopes = await Promise.all(values.map((value, i) => call({ action: 'echo', value, delayMs: i % 10 })));
            for (const [i, envelope] of envelopes.entries()) {
              expect(envelope.context.error).toBeUndefined();
              expect(envelope.payload).toEqual({ value: values[i] });
            }
          },
          testTimeout,
        );

        it(
          'serves the new source after an update',
          async () => {
            const source = await packFixture(`${language}-v2`);
            await context.driver.deploy(deploySpec({ name, revision: 2, language, imageURL, source, handler, timeout: functionTimeout }));
            const envelope = await eventually(async () => {
              const reply = await call({ action: 'version' });
              expect(reply.payload).toEqual({ version: 2, action: 'version' });
              return reply;
            }, testTimeout);
            expect(envelope.context.error).toBeUndefined();
            // A rolling update may still be stopping the old replicas when the new source first answers.
            await eventually(async () => expect((await context.driver.status(name)).ready).toBe(true), testTimeout);
          },
          testTimeout,
        );

        it(
          'scales to 2 replicas',
          async ({ skip }) => {
            if (context.driver.scale === undefined) return skip(`the ${context.driver.name} driver has no scale()`);
            await context.driver.scale(name, 2);
            await eventually(async () => {
              const status = await context.driver.status(name);
              expect(status.replicas).toEqual({ desired: 2, ready: 2 });
              expect(status.ready).toBe(true);
            }, testTimeout);
            const envelopes = await Promise.all(Array.from({ length: 6 }, () => call({ action: 'version' })));
            for (const envelope of envelopes) expect(envelope.payload).toEqual({ version: 2, action: 'version' });
            if (context.driver.list !== undefined) {
              expect(await context.driver.list()).toContainEqual({ name, revision: 2, replicas: 2 });
            }
          },
          testTimeout,
        );

        it(
          "rejects a handler that fails to load with the loader's message",
          async () => {
            const broken = `${name}-broken`;
            const source = await packFixture(`${language}-broken`);
            const spec = deploySpec({ name: broken, language, imageURL, source, handler, timeout: functionTimeout });
            const deployed = await context.driver.deploy(spec).then(
              () => undefined,
              (error: unknown) => error,
            );
            if (deployed !== undefined) {
              expect((deployed as Error).message).toMatch(LOAD_ERRORS[language]);
            }
            const status = await eventually(async () => {
              const current = await context.driver.status(broken);
              expect(current.failed).toBe(true);
              return current;
            }, testTimeout);
            expect(status.ready).toBe(false);
            expect(status.reason).toMatch(LOAD_ERRORS[language]);
            await context.driver.remove(broken);
          },
          testTimeout,
        );

        it(
          'removes the function, after which calls and status answer NotFoundError',
          async () => {
            await context.driver.remove(name);
            await expect(call({ action: 'version' })).rejects.toMatchObject({ code: 404 });
            await expect(context.driver.status(name)).rejects.toMatchObject({ code: 404 });
            await expect(context.driver.remove(name)).resolves.toBeUndefined();
            if (context.driver.list !== undefined) {
              expect((await context.driver.list()).map((fn) => fn.name)).not.toContain(name);
            }
          },
          testTimeout,
        );
      });
    }

    options.additionalTests?.(context);
  });
}
