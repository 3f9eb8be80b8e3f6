import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, relative, sep } from 'node:path';
import { BackendError, InvalidInputError } from '@dispatch/core/driver';
import type { Language, ProgressListener } from '@dispatch/core/driver';
import { layerFromEntries } from './image-layer.js';
import type { ImageLayer, LayerEntry } from './image-layer.js';
import type { Platform } from './image-manifest.js';

/** The commands dependencies are installed with, on the machine the builder runs on (the gateway's). */
export interface InstallCommands {
  /** Default `['npm']`. */
  npm?: string[];
  /** Default `['python3', '-m', 'pip']`. */
  pip?: string[];
}

export interface DependencyLayerSpec {
  language: Language;
  /** package.json (nodejs) or requirements.txt (python3) text. */
  manifest: string;
  /** The image's platform: npm picks optional binaries for it; pip takes platform-independent wheels only. */
  platform: Platform;
  commands?: InstallCommands;
  prefix: string;
  onProgress?: ProgressListener;
}

const NPM_CPU: Record<string, string> = { amd64: 'x64', arm64: 'arm64', arm: 'arm', '386': 'ia32', ppc64le: 'ppc64', s390x: 's390x' };
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * Installs a function image's runtime dependencies in a scratch folder on this machine, without a daemon and
 * without running any package's code, and returns them as one layer: npm packages in `/function/node_modules`
 * (`npm install --ignore-scripts`, for the image's os and cpu), Python packages in `/dispatch/site-packages`
 * (`pip install --target`, platform-independent wheels only). What needs a real build (install scripts, native
 * code, system packages) cannot be done this way and is refused by the caller before this runs.
 */
export async function dependencyLayer(spec: DependencyLayerSpec): Promise<ImageLayer> {
  const scratch = await mkdtemp(join(tmpdir(), 'dispatch-deps-'));
  try {
    if (spec.language === 'nodejs') {
      const folder = join(scratch, 'function');
      await mkdir(folder);
      await writeFile(join(folder, 'package.json'), spec.manifest);
      const npm = spec.commands?.npm ?? ['npm'];
      const cpu = NPM_CPU[spec.platform.architecture] ?? spec.platform.architecture;
      const args = [
        'install',
        '--omit=dev',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        `--os=${spec.platform.os}`,
        `--cpu=${cpu}`,
        '--cache',
        join(scratch, 'npm-cache'),
      ];
      await install(npm, args, folder, spec);
      await refuseNativeModules(join(folder, 'node_modules'), spec.prefix);
      return await layerFromEntries(await entriesOf(folder, 'function'));
    }
    const target = join(scratch, 'site-packages');
    await writeFile(join(scratch, 'requirements.txt'), spec.manifest);
    const pip = spec.commands?.pip ?? ['python3', '-m', 'pip'];
    const args = [
      'install',
      '--no-input',
      '--disable-pip-version-check',
      '--no-compile',
      '--only-binary=:all:',
      '--platform',
      'any',
      '--target',
      target,
      '-r',
      join(scratch, 'requirements.txt'),
    ];
    await install(pip, args, scratch, spec);
    return await layerFromEntries(await entriesOf(target, 'dispatch/site-packages'));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function install(command: string[], args: string[], cwd: string, spec: DependencyLayerSpec): Promise<void> {
  const [file, ...first] = command as [string, ...string[]];
  spec.onProgress?.(`[${spec.prefix}] ${[...command, ...args.filter((arg) => !arg.startsWith(cwd))].join(' ')}`);
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...first, ...args],
      { cwd, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
      (error, stdout, stderr) => {
        for (const line of `${stdout}\n${stderr}`.split('\n')) if (line.trim() !== '') spec.onProgress?.(line.trimEnd());
        if (error === null) return resolve();
        const lines = stderr
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean);
        const reason =
          lines.find((line) => /^(npm (ERR|error)|ERROR:)/.test(line) && !/A complete log|^npm (ERR|error)!?\s*$/.test(line)) ??
          lines.at(-1) ??
          error.message;
        const hint = spec.language === 'python3' ? ' (only wheels that run on any platform can be installed without a build)' : '';
        reject(new BackendError(`[${spec.prefix}] installing the runtime dependencies failed: ${reason}${hint}`));
      },
    );
  });
}

/** Packages that compile native code at install time cannot work without their scripts: say so now, not at run time. */
async function refuseNativeModules(modules: string, prefix: string): Promise<void> {
  for (const manifest of await packageManifests(modules)) {
    const pkg = JSON.parse(await readFile(manifest, 'utf8')) as { name?: string; gypfile?: boolean; scripts?: Record<string, string> };
    const scripts = pkg.scripts ?? {};
    if (pkg.gypfile === true || scripts.install !== undefined || scripts.preinstall !== undefined) {
      throw new InvalidInputError(
        `[${prefix}] the package "${pkg.name ?? manifest}" builds at install time (native code), which needs a build: this backend assembles images without one`,
      );
    }
  }
}

async function packageManifests(modules: string): Promise<string[]> {
  const found: string[] = [];
  const names = await readdir(modules).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      for (const scoped of await readdir(join(modules, name))) found.push(join(modules, name, scoped, 'package.json'));
    } else found.push(join(modules, name, 'package.json'));
  }
  const exists = await Promise.all(
    found.map((path) =>
      lstat(path).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.filter((_, index) => exists[index]);
}

/** A folder's files as layer entries under `under` (paths sorted, so the same files give the same layer). */
async function entriesOf(folder: string, under: string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [{ path: under, type: 'directory' }];
  const paths = (await readdir(folder, { recursive: true })).sort();
  for (const path of paths) {
    const full = join(folder, path);
    const name = posix.join(under, relative(folder, full).split(sep).join('/'));
    const stat = await lstat(full);
    if (stat.isDirectory()) entries.push({ path: name, type: 'directory' });
    else if (stat.isSymbolicLink()) entries.push({ path: name, type: 'symlink', linkname: await readlink(full) });
    else if (stat.isFile())
      entries.push({ path: name, type: 'file', content: await readFile(full), executable: (stat.mode & 0o111) !== 0 });
  }
  return entries;
}
