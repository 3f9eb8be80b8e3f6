import { realpathSync } from 'node:fs';
import type { DispatchLogger } from '@dispatch/core/driver';
import { runCommand } from './run-command.js';
import { installPrefix, planSandbox, probeSandbox, sandboxRequiredError } from './sandbox.js';
import type { Sandbox, SandboxMode } from './sandbox.js';

/** What the driver runs function servers with: the sandbox (when there is one) and the interpreters to run in it. */
export interface SandboxSetup {
  sandbox: Sandbox | undefined;
  node: string;
  python: string;
}

export interface SandboxSetupOptions {
  mode: SandboxMode;
  bwrap: string;
  dataDir: string;
  node: string;
  python: string;
  logger?: DispatchLogger;
}

/** Resolves `python3` (maybe a version manager's shim, a script the sandbox cannot run) to the interpreter and its prefix. */
async function realPython(python: string): Promise<{ executable: string; prefix: string } | undefined> {
  const result = await runCommand([python, '-c', 'import sys; print(sys.executable); print(sys.base_prefix)'], { timeoutMs: 10_000 });
  const [executable, prefix] = result.lines.map((line) => line.trim());
  if (result.code !== 0 || !executable || !prefix) return undefined;
  return { executable, prefix };
}

/**
 * Decides once per driver whether functions run in a bubblewrap sandbox: `off` never; `auto` when a probe
 * sandbox starts (otherwise one warning, and functions run without); `required` or every deploy fails.
 */
export function createSandboxSetup(options: SandboxSetupOptions): () => Promise<SandboxSetup> {
  let setup: Promise<SandboxSetup> | undefined;
  const plain: SandboxSetup = { sandbox: undefined, node: options.node, python: options.python };
  return () => {
    setup ??= (async (): Promise<SandboxSetup> => {
      if (options.mode === 'off') return plain;
      const node = realpathSync(options.node);
      const python = await realPython(options.python);
      const sandbox = planSandbox({
        bwrap: options.bwrap,
        dataDir: options.dataDir,
        runtimePrefixes: [installPrefix(node), ...(python ? [python.prefix] : [])],
      });
      const failure = await probeSandbox(sandbox, node);
      if (failure === undefined) {
        options.logger?.info({ sandbox: 'bubblewrap' }, '[local] function processes run in a bubblewrap sandbox');
        return { sandbox, node, python: python?.executable ?? options.python };
      }
      if (options.mode === 'required') throw sandboxRequiredError(failure);
      options.logger?.warn(
        { sandbox: 'off' },
        `[local] function processes run WITHOUT a sandbox: ${failure}. Install bubblewrap to isolate them, ` +
          `or set DISPATCH_SANDBOX=off to silence this warning`,
      );
      return plain;
    })();
    // A required sandbox that failed is tried again on the next deploy (bubblewrap may have been installed since).
    setup.catch(() => {
      setup = undefined;
    });
    return setup;
  };
}
