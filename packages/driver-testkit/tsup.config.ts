import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig(
  packageBuild([], { entry: { index: 'src/index.ts', browser: 'src/browser.ts', 'kube-harness/index': 'src/kube-harness/index.ts' } }),
);
