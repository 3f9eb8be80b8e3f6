import { CliError } from './errors.js';
import { readDataFile, readUserFile } from './files.js';

function systemPackages(value: unknown, path: string): unknown[] {
  const list = Array.isArray(value) ? value : (value as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) {
    throw new CliError(400, `system dependencies ${path} must be a list of {name, version}, or {packages: [...]}`);
  }
  return list.map((item) => (typeof item === 'string' ? { name: item } : item));
}

/** `runtimeDependencies` and `systemDependencies` from `--runtime-deps FILE`, `--[no-]allow-scripts` and `--system-deps FILE`. */
export async function imageDependencies(flags: {
  'runtime-deps'?: string;
  'system-deps'?: string;
  'allow-scripts'?: boolean;
}): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const runtime = flags['runtime-deps'];
  const system = flags['system-deps'];
  const runtimeDependencies: Record<string, unknown> = {};
  if (runtime !== undefined) runtimeDependencies.manifest = await readUserFile(runtime, 'runtime dependencies');
  if (flags['allow-scripts'] !== undefined) runtimeDependencies.allowScripts = flags['allow-scripts'];
  if (Object.keys(runtimeDependencies).length > 0) body.runtimeDependencies = runtimeDependencies;
  if (system !== undefined) {
    body.systemDependencies = { packages: systemPackages(await readDataFile(system, 'system dependencies'), system) };
  }
  return body;
}
