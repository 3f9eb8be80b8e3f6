import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The stack's tests that need a place on the overlay network, where function tasks can be reached from: run by
// packages/driver-swarm/test/two-nodes.integration.test.ts inside a container on the manager of its two nodes.
export default defineConfig({
  root: fileURLToPath(new URL('../../../', import.meta.url)),
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['swarm/test/in-network/**/*.in-network.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['verbose'],
  },
});
