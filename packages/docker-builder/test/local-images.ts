import type { BaseImageArgs } from '../src/index.js';

/**
 * The language images base images start from in tests: `DISPATCH_NODE_IMAGE` / `DISPATCH_PYTHON_IMAGE` when set,
 * else the stand-ins that scripts/docker/ensure-base-os-images.sh builds (nothing can be pulled here).
 */
export function localBaseImageArgs(env: NodeJS.ProcessEnv = process.env): BaseImageArgs {
  return {
    NODE_IMAGE: env.DISPATCH_NODE_IMAGE ?? env.DISPATCH_LOCAL_NODE_IMAGE ?? 'dispatch-local/node:20',
    PYTHON_IMAGE: env.DISPATCH_PYTHON_IMAGE ?? env.DISPATCH_LOCAL_PYTHON_IMAGE ?? 'dispatch-local/python:3.11',
  };
}
