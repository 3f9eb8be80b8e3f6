import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BackendError, InvalidInputError } from '@dispatch/core/driver';
import type { BuiltImage, DispatchLogger, ImageBuildSpec, ProgressListener } from '@dispatch/core/driver';
import { npmFailure, pipFailure } from './build-failure.js';
import { runCommand } from './run-command.js';

export interface ImageBuilderOptions {
  imagesDir: string;
  npm: readonly string[];
  pip: readonly string[];
  logger?: DispatchLogger;
}

/** Written last into a built image folder: what it was built from, for a person looking at the folder. */
const IMAGE_INFO_FILE = 'dispatch-image.json';

/**
 * Builds images for the local backend. An image is a folder `<imagesDir>/<name>-<hash of inputs>` holding
 * the installed dependencies (`node_modules`, `site-packages`); the same inputs reuse the same folder.
 * A build runs in a temporary folder renamed into place at the end, so a failed or interrupted build is
 * never taken for a finished one.
 */
export class ImageBuilder {
  private readonly building = new Map<string, Promise<BuiltImage>>();

  constructor(private readonly options: ImageBuilderOptions) {}

  build(spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage> {
    try {
      validate(spec);
    } catch (error) {
      return Promise.reject(error);
    }
    const dir = this.imageDir(spec);
    // Two builds of the same inputs at once share one install.
    let build = this.building.get(dir);
    if (build === undefined) {
      build = this.buildInto(dir, spec, onProgress).finally(() => this.building.delete(dir));
      this.building.set(dir, build);
    }
    return build;
  }

  /** Deletes an image folder of this backend; anything else (a base image name, a foreign URL) is ignored. */
  async remove(imageURL: string): Promise<void> {
    const dir = this.ownedImageDir(imageURL);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }

  private imageDir(spec: ImageBuildSpec): string {
    const hash = createHash('sha256')
      .update(JSON.stringify([spec.language, spec.baseImageURL, spec.runtimeDependencies, spec.allowInstallScripts === true]))
      .digest('hex')
      .slice(0, 12);
    const name = spec.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-') || 'image';
    return join(this.options.imagesDir, `${name}-${hash}`);
  }

  private ownedImageDir(imageURL: string): string | undefined {
    if (!imageURL.startsWith('file:')) return undefined;
    const dir = resolve(fileURLToPath(imageURL));
    const inside = relative(this.options.imagesDir, dir);
    if (inside === '' || inside.startsWith('..') || inside.includes(sep)) return undefined;
    return dir;
  }

  private async buildInto(dir: string, spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage> {
    const imageURL = pathToFileURL(dir).href;
    if (await exists(dir)) {
      onProgress?.(`[local] reusing ${dir}: it was built from the same dependencies`);
      return { imageURL };
    }
    const work = `${dir}.building-${randomBytes(4).toString('hex')}`;
    await mkdir(work, { recursive: true });
    try {
      if (spec.runtimeDependencies.trim() !== '') await this.install(work, spec, onProgress);
      const info = { name: spec.name, language: spec.language, baseImageURL: spec.baseImageURL, builtAt: new Date().toISOString() };
      await writeFile(join(work, IMAGE_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
      try {
        await rename(work, dir);
      } catch (error) {
        // Another gateway built the same inputs meanwhile: theirs is as good as ours.
        if (!(await exists(dir))) throw error;
        await rm(work, { recursive: true, force: true });
      }
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
    this.options.logger?.info({ image: spec.name, dir }, `[local] built image "${spec.name}"`);
    return { imageURL };
  }

  private async install(work: string, spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<void> {
    if (spec.language === 'nodejs') {
      await writeFile(join(work, 'package.json'), spec.runtimeDependencies);
      // Install scripts run arbitrary code of every package in the tree at build time: only when the image asks.
      const scripts = spec.allowInstallScripts ? [] : ['--ignore-scripts'];
      const argv = [...this.options.npm, 'install', '--omit=dev', '--no-audit', '--no-fund', ...scripts];
      onProgress?.(`[local] ${argv.join(' ')}`);
      const result = await runCommand(argv, { cwd: work, onLine: onProgress });
      if (result.spawnError !== undefined) {
        throw new BackendError(`[local] cannot run npm ("${this.options.npm.join(' ')}"): ${result.spawnError.message}`);
      }
      if (result.code !== 0) throw new BackendError(`[local] ${npmFailure(result.lines, result.code)}`);
      return;
    }
    await writeFile(join(work, 'requirements.txt'), spec.runtimeDependencies);
    // A source distribution runs its setup code to build: wheels only, unless the image allows scripts.
    const scripts = spec.allowInstallScripts ? [] : ['--only-binary=:all:'];
    const argv = [
      ...this.options.pip,
      'install',
      '--no-input',
      ...scripts,
      '--target',
      join(work, 'site-packages'),
      '-r',
      join(work, 'requirements.txt'),
    ];
    onProgress?.(`[local] ${argv.join(' ')}`);
    const result = await runCommand(argv, { cwd: work, onLine: onProgress });
    if (result.spawnError !== undefined) {
      throw new BackendError(`[local] cannot run pip ("${this.options.pip.join(' ')}"): ${result.spawnError.message}`);
    }
    if (result.code !== 0) {
      const hint = spec.allowInstallScripts
        ? ''
        : ' (pip installs wheels only: a package without a wheel needs runtimeDependencies.allowScripts set to true)';
      throw new BackendError(`[local] ${pipFailure(result.lines, result.code)}${hint}`);
    }
  }
}

function validate(spec: ImageBuildSpec): void {
  if (spec.systemPackages.length > 0) {
    const names = spec.systemPackages.map((pkg) => (pkg.version ? `${pkg.name}=${pkg.version}` : pkg.name)).join(', ');
    throw new InvalidInputError(
      `[local] image "${spec.name}" asks for system packages (${names}), but the local backend runs functions ` +
        `with this machine's own packages and cannot install any: install them on this machine and leave ` +
        `systemDependencies empty, or use the swarm or knative backend for system packages`,
    );
  }
  if (spec.language !== 'nodejs' && spec.language !== 'python3') {
    throw new InvalidInputError(`[local] image "${spec.name}": unknown language "${String(spec.language)}"`);
  }
  if (spec.language === 'python3' && !spec.allowInstallScripts) {
    // pip's --only-binary does not apply to paths and URLs: a source archive or folder named directly would run its setup code.
    const fromSource = spec.runtimeDependencies
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .find(isSourceRequirement);
    if (fromSource !== undefined) {
      throw new InvalidInputError(
        `[local] image "${spec.name}": "${fromSource}" is built from source, which runs its setup code: use a wheel ` +
          `(.whl), or set runtimeDependencies.allowScripts to true`,
      );
    }
  }
  if (spec.language === 'nodejs' && spec.runtimeDependencies.trim() !== '') {
    let manifest: unknown;
    try {
      manifest = JSON.parse(spec.runtimeDependencies);
    } catch (error) {
      throw new InvalidInputError(
        `[local] the runtime dependencies of image "${spec.name}" must be a package.json: ${(error as Error).message}`,
      );
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new InvalidInputError(`[local] the runtime dependencies of image "${spec.name}" must be a package.json object`);
    }
  }
}

/** A requirements.txt line that names a source (a folder, an archive, a VCS URL, an editable) rather than a wheel. */
function isSourceRequirement(line: string): boolean {
  if (line === '') return false;
  if (/^(-e|--editable)\b/.test(line)) return true;
  if (line.startsWith('-')) return false;
  const reference = / @ (\S+)/.exec(line)?.[1] ?? line.split(/[\s;]/)[0] ?? '';
  const direct = reference.includes('://') || reference.includes('/') || reference.startsWith('.');
  return direct && !/\.whl$/i.test(reference.split('#')[0] as string);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
