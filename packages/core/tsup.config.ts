import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// Three entries: the whole library, the spec a backend is written against, and the source packing helpers.
// Splitting keeps one copy of what they share (errors above all), so `instanceof` holds across entries.
export default defineConfig(
  packageBuild({ index: 'src/index.ts', driver: 'src/driver/index.ts', source: 'src/source/index.ts' }, { splitting: true }),
);
