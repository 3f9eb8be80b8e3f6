import type { ServiceContext } from './service-context.js';

interface Rebuilders {
  baseImages: { prepare(name: string): void };
  images: { build(name: string): void };
  functions: { deploy(name: string): void };
}

const IN_PROGRESS = new Set(['INITIALIZED', 'CREATING', 'UPDATING']);

/**
 * Brings the backend in line with the store after a start: unfinished builds start again, functions the
 * backend no longer runs are redeployed (never listed as READY while nothing serves them), and deletions
 * cut short by a stop are finished.
 */
export async function reconcile(context: ServiceContext, rebuild: Rebuilders): Promise<void> {
  const { lifecycles, driver, logger } = context;

  for (const base of await lifecycles.baseimage.repo.list()) {
    if (IN_PROGRESS.has(base.status)) rebuild.baseImages.prepare(base.name);
  }
  for (const image of await lifecycles.image.repo.list()) {
    if (IN_PROGRESS.has(image.status)) rebuild.images.build(image.name);
  }

  const deployed = driver.list ? new Set((await driver.list()).map((fn) => fn.name)) : undefined;
  for (const fn of await lifecycles.function.repo.list()) {
    if (fn.status === 'DELETING') {
      await driver.remove(fn.name);
      await lifecycles.function.remove(fn.name);
      await context.store.runs.deleteForFunction(fn.name);
      continue;
    }
    if (fn.status === 'ERROR') continue;
    if (deployed?.has(fn.name)) {
      const status = await driver.status(fn.name).catch(() => undefined);
      if (status?.ready) {
        if (fn.status !== 'READY') await lifecycles.function.setStatus(fn.name, 'READY');
        continue;
      }
    }
    logger?.info({ function: fn.name }, 'redeploying a function the backend does not run');
    await lifecycles.function.setStatus(fn.name, 'CREATING', `redeploying on the ${driver.name} backend after a restart`);
    rebuild.functions.deploy(fn.name);
  }
}
