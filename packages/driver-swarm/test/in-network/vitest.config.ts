import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The swarm driver's tests that call functions: run by swarm-driver.integration.test.ts inside a container
// attached to the overlay network, the only place from which function tasks can be reached.
export default defineConfig({
  root: fileURLToPath(new URL('../../../../', import.meta.url)),
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/driver-swarm/test/in-network/**/*.in-network.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['verbose'],
  },
});
