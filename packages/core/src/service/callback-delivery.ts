import { randomBytes } from 'node:crypto';
import type { Run, Secret } from '../domain/types.js';
import { ConflictError } from '../errors.js';
import { signCallback } from './callback-signature.js';
import type { FunctionRuntimeCache } from './function-runtime-cache.js';
import type { ServiceContext } from './service-context.js';

/** The Dispatch secret whose `signingKey` signs callbacks, created on the first delivery when it is missing. */
export const CALLBACK_SECRET_NAME = 'dispatch-callbacks';

/** What one delivery attempt came to. */
export type DeliveryResult = { delivered: true } | { delivered: false; error: string };

/**
 * POSTs finished runs to their callback URLs, signed with HMAC-SHA256 (see signCallback). The key is the
 * `signingKey` of the secret `dispatch-callbacks` (every gateway sharing a store signs alike; rotate it by
 * updating the secret), unless the gateway was given one.
 */
export function createCallbackDelivery(
  context: ServiceContext,
  cache: FunctionRuntimeCache,
  options: { signingKey?: string; timeoutMs: number },
) {
  async function signingKey(): Promise<string> {
    if (options.signingKey) return options.signingKey;
    const secrets = await cache.mergedSecrets([CALLBACK_SECRET_NAME]).catch(async () => {
      await createSecret();
      return cache.mergedSecrets([CALLBACK_SECRET_NAME]);
    });
    return secrets.signingKey ?? '';
  }

  async function createSecret(): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const secret: Secret = {
      name: CALLBACK_SECRET_NAME,
      id: randomBytes(16).toString('hex'),
      createdTime: now,
      modifiedTime: now,
      revision: 1,
      tags: [{ key: 'dispatch', value: 'system' }],
      status: 'READY',
      reason: '',
      secrets: { signingKey: randomBytes(32).toString('hex') },
    };
    // Another gateway may have created it first: then its key is the one.
    await context.lifecycles.secret.repo.insert(secret).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
  }

  return async function deliver(run: Run, attempt: number): Promise<DeliveryResult> {
    const body = JSON.stringify(run);
    try {
      const response = await fetch(run.callbackURL as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-dispatch-signature': signCallback(await signingKey(), body),
          'x-dispatch-run-id': run.id,
          'x-dispatch-delivery-attempt': String(attempt),
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'manual',
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { delivered: true };
      return { delivered: false, error: `the receiver answered ${response.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { delivered: false, error: cause?.code ?? cause?.message ?? (error as Error).message };
    }
  };
}
