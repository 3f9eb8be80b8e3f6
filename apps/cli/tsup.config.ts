import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// One module holds every command (oclif's explicit discovery); heavy modules stay lazy `import()`s.
export default defineConfig(packageBuild(['src/run.ts', 'src/commands.ts', 'src/hooks/command-not-found.ts'], { dts: false }));
