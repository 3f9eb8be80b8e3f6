import { dirname, join } from 'node:path';
import { InvalidInputError } from '@dispatch/core/driver';
import type { ImageBuildSpec, Language } from '@dispatch/core/driver';
import { functionServerPath } from '@dispatch/runtimes';
import { contextTar, fileFromDisk } from './build-context.js';
import type { ContextFile } from './build-context.js';
import { contentHash } from './image-names.js';
import { systemPackagesArg } from './system-packages.js';

/** The runtimes' Dockerfiles and function servers, by language. */
export const DOCKERFILES: Record<Language, { base: string; image: string; server: string; arg: 'NODE_IMAGE' | 'PYTHON_IMAGE' }> = {
  nodejs: { base: 'nodejs.Dockerfile', image: 'nodejs.image.Dockerfile', server: 'nodejs/server.cjs', arg: 'NODE_IMAGE' },
  python3: { base: 'python3.Dockerfile', image: 'python3.image.Dockerfile', server: 'python3/server.py', arg: 'PYTHON_IMAGE' },
};

/** The name of the Dockerfile inside every context, away from the user's files. */
export const CONTEXT_DOCKERFILE = '.dispatch.Dockerfile';

/** The folder of @dispatch/runtimes: src/ and dist/ sit one level below it, beside docker/, nodejs/ and python3/. */
export function runtimesDir(): string {
  return dirname(dirname(functionServerPath('nodejs')));
}

/** One of the runtimes' Dockerfiles, as the context's Dockerfile. */
export function runtimeDockerfile(name: string): Promise<ContextFile> {
  return fileFromDisk(join(runtimesDir(), 'docker', name), CONTEXT_DOCKERFILE);
}

/** What a dependency image is built from: the context (a tar), its Dockerfile's path in it, the build args. */
export interface ImageBuildContext {
  context: Buffer;
  dockerfile: string;
  buildArgs: Record<string, string>;
  /** A short digest of every input: the same hash, the same image. */
  hash: string;
}

/**
 * The build of a dependency image (base image + system packages + runtime dependencies) as any builder of
 * Dockerfiles takes it: the Docker engine here, a Kubernetes Job (kaniko) in the knative backend. System
 * package names are checked first (they reach a shell).
 */
export async function imageBuildContext(spec: ImageBuildSpec): Promise<ImageBuildContext> {
  const files = DOCKERFILES[spec.language];
  if (files === undefined) throw new InvalidInputError(`unknown language "${String(spec.language)}"`);
  const packages = systemPackagesArg(spec.systemPackages);
  const manifest = spec.runtimeDependencies.trim() === '' ? undefined : spec.runtimeDependencies;
  const manifestName = spec.language === 'nodejs' ? 'package.json' : 'requirements.txt';
  const context = await contextTar(
    [await runtimeDockerfile(files.image), ...(manifest === undefined ? [] : [{ path: `deps/${manifestName}`, content: manifest }])],
    ['deps'],
  );
  const scripts = spec.allowInstallScripts ? '1' : '';
  const hash = contentHash(spec.language, spec.baseImageURL, packages, manifest ?? '', ...(scripts ? [scripts] : []));
  return {
    context,
    dockerfile: CONTEXT_DOCKERFILE,
    buildArgs: { BASE_IMAGE: spec.baseImageURL, SYSTEM_PACKAGES: packages, INSTALL_SCRIPTS: scripts },
    hash,
  };
}
