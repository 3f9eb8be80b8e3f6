import { join } from 'node:path';
import { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import { DISPATCH_VERSION, InvalidInputError, assertValidName } from '@dispatch/core/driver';
import type { BuiltImage, ImageBuildSpec, Language, ProgressListener } from '@dispatch/core/driver';
import { BuildOutput, engineMessages } from './build-output.js';
import type { BuildFailure } from './build-output.js';
import { contextTar, fileFromDisk, sourceContextTar } from './build-context.js';
import { CONTEXT_DOCKERFILE, DOCKERFILES, imageBuildContext, runtimeDockerfile, runtimesDir } from './image-context.js';
import { ImageBuildError, engineError, engineStatus } from './engine-errors.js';
import { contentHash, imagePrefix } from './image-names.js';
import { pullImage } from './pull-image.js';
import { pushImage } from './push-image.js';
import type { RegistrySettings } from '@dispatch/registry-builder';

export type { RegistrySettings };
export { registryFromEnv } from '@dispatch/registry-builder';

/** Build args of the base images: the language images they start from. */
export interface BaseImageArgs {
  NODE_IMAGE?: string;
  PYTHON_IMAGE?: string;
}

export interface DockerImageBuilderOptions {
  /** Default: `new Dockerode()` (DOCKER_HOST or /var/run/docker.sock). */
  docker?: Dockerode;
  /** Default: from `DISPATCH_NODE_IMAGE` / `DISPATCH_PYTHON_IMAGE`; unset args keep the Dockerfiles' official images. */
  baseImageArgs?: BaseImageArgs;
  /** When set, images are named under it and every dependency and function image is pushed after its build. */
  registry?: RegistrySettings;
  /** Prefix of error messages, `[<prefix>] …`; default `docker`. Drivers pass their own name. */
  errorPrefix?: string;
}

/** What a function image is built from. */
export interface FunctionImageSpec {
  /** The function's name (DNS-1123 label). */
  name: string;
  /** The function's revision, part of the tag. */
  revision: number;
  /** The image to build on (a base image or a dependency image). */
  imageURL: string;
  /** The function's source, a tar.gz as the CLI sends it. */
  source: Buffer;
  handler: string;
}

/**
 * Builds Dispatch's images through the Docker API with the Dockerfiles of `@dispatch/runtimes`. Build output
 * lines go to `onProgress`; a failed build throws an ImageBuildError (a BackendError) whose message is the
 * failing build line.
 */
export interface DockerImageBuilder {
  readonly docker: Dockerode;
  /** Builds `dispatch/<language>-base` (or any `tag`) from the runtimes' Dockerfile; resolves with the tag. */
  buildBaseImage(language: Language, tag: string, onProgress?: ProgressListener): Promise<string>;
  /** Base image + system packages + runtime dependencies → `dispatch/image-<name>:<content hash>`. */
  buildImage(spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage>;
  /**
   * Image + source → `dispatch/fn-<name>:r<revision>-<content hash>`, a new tag for every revision and source
   * (Swarm only redeploys a service whose image reference changed). The build loads the handler: one that
   * cannot load fails the build with the loader's line as the message.
   */
  buildFunctionImage(spec: FunctionImageSpec, onProgress?: ProgressListener): Promise<string>;
  imageExists(imageURL: string): Promise<boolean>;
  /** Removes an image; idempotent. An image that a container still uses is kept (and no error raised). */
  removeImage(imageURL: string): Promise<void>;
  /** Pushes an image to the configured registry (credentials from the settings); rejects without a registry. */
  push(imageURL: string, onProgress?: ProgressListener): Promise<void>;
  /** Pulls an image unless the engine has it already. */
  ensurePulled(imageURL: string, onProgress?: ProgressListener): Promise<void>;
}

/** The base image args from the environment (`DISPATCH_NODE_IMAGE`, `DISPATCH_PYTHON_IMAGE`). */
export function baseImageArgsFromEnv(env: NodeJS.ProcessEnv = process.env): BaseImageArgs {
  const args: BaseImageArgs = {};
  if (env.DISPATCH_NODE_IMAGE) args.NODE_IMAGE = env.DISPATCH_NODE_IMAGE;
  if (env.DISPATCH_PYTHON_IMAGE) args.PYTHON_IMAGE = env.DISPATCH_PYTHON_IMAGE;
  return args;
}

/** Creates an image builder on a Docker engine. */
export function createDockerImageBuilder(options: DockerImageBuilderOptions = {}): DockerImageBuilder {
  const docker = options.docker ?? new Dockerode();
  const baseArgs = options.baseImageArgs ?? baseImageArgsFromEnv();
  const registry = options.registry;
  const prefix = options.errorPrefix ?? 'docker';
  const names = imagePrefix(registry);
  const dockerfile = runtimeDockerfile;

  async function build(
    context: Buffer,
    tag: string,
    buildargs: Record<string, string>,
    what: string,
    onProgress: ProgressListener | undefined,
  ): Promise<BuildFailure | undefined> {
    const output = new BuildOutput((line) => onProgress?.(line));
    try {
      const stream: NodeJS.ReadableStream = await docker.buildImage(Readable.from([context]), {
        t: tag,
        dockerfile: CONTEXT_DOCKERFILE,
        buildargs,
        rm: true,
        forcerm: true,
      });
      for await (const message of engineMessages(stream as AsyncIterable<Buffer>)) output.push(message);
      output.flush();
    } catch (error) {
      throw engineError(prefix, docker, what, error);
    }
    return output.failure;
  }

  function buildFailed(what: string, failure: BuildFailure, args: Record<string, string>): ImageBuildError {
    if (failure.lastLine !== undefined) {
      return new ImageBuildError(`[${prefix}] ${what} failed: ${failure.lastLine} (${failure.error})`, failure);
    }
    // `FROM ${IMAGE}` says little; `FROM dispatch/fn-base:1` says which image could not be found.
    const step = failure.step?.replace(/\$\{(\w+)\}|\$(\w+)/g, (text, a?: string, b?: string) => args[a ?? b ?? ''] ?? text);
    const at = step === undefined ? '' : ` at "${step}"`;
    return new ImageBuildError(`[${prefix}] ${what} failed${at}: ${failure.error}`, failure);
  }

  async function pushIfRegistry(imageURL: string, onProgress?: ProgressListener): Promise<void> {
    if (registry !== undefined) await pushImage(docker, imageURL, registry, prefix, onProgress);
  }

  return {
    docker,

    async buildBaseImage(language, tag, onProgress) {
      const files = DOCKERFILES[language];
      if (files === undefined) throw new InvalidInputError(`[${prefix}] no base image for language "${String(language)}"`);
      const context = await contextTar([await dockerfile(files.base), await fileFromDisk(join(runtimesDir(), files.server), files.server)]);
      const buildargs: Record<string, string> = { VERSION: DISPATCH_VERSION };
      const from = baseArgs[files.arg];
      if (from !== undefined) buildargs[files.arg] = from;
      const failure = await build(context, tag, buildargs, `build of base image "${tag}"`, onProgress);
      if (failure) throw buildFailed(`build of base image "${tag}"`, failure, buildargs);
      return tag;
    },

    async buildImage(spec, onProgress) {
      assertValidName('image', spec.name);
      if (DOCKERFILES[spec.language] === undefined) throw new InvalidInputError(`[${prefix}] unknown language "${String(spec.language)}"`);
      const { context, buildArgs: buildargs, hash } = await imageBuildContext(spec);
      const imageURL = `${names}image-${spec.name}:${hash}`;
      const what = `build of image "${spec.name}"`;
      const failure = await build(context, imageURL, buildargs, what, onProgress);
      if (failure) throw buildFailed(what, failure, buildargs);
      await pushIfRegistry(imageURL, onProgress);
      return { imageURL };
    },

    async buildFunctionImage(spec, onProgress) {
      assertValidName('function', spec.name);
      if (!Number.isInteger(spec.revision) || spec.revision < 0) {
        throw new InvalidInputError(`[${prefix}] function "${spec.name}": revision must be a whole number`);
      }
      if (spec.handler.trim() === '') throw new InvalidInputError(`[${prefix}] function "${spec.name}" has no handler`);
      const context = await sourceContextTar(spec.source, 'function', [await dockerfile('function.Dockerfile')]);
      const imageURL = `${names}fn-${spec.name}:r${spec.revision}-${contentHash(spec.imageURL, spec.handler, spec.source)}`;
      const what = `build of function "${spec.name}"`;
      const buildargs = { IMAGE: spec.imageURL, HANDLER: spec.handler };
      const failure = await build(context, imageURL, buildargs, what, onProgress);
      if (failure) {
        if (failure.exitCode === 3 && failure.lastLine !== undefined) {
          throw new ImageBuildError(`[${prefix}] function "${spec.name}": the handler cannot load: ${failure.lastLine}`, failure);
        }
        throw buildFailed(what, failure, buildargs);
      }
      await pushIfRegistry(imageURL, onProgress);
      return imageURL;
    },

    async imageExists(imageURL) {
      try {
        await docker.getImage(imageURL).inspect();
        return true;
      } catch (error) {
        if (engineStatus(error) === 404) return false;
        throw engineError(prefix, docker, `inspecting image "${imageURL}"`, error);
      }
    },

    async removeImage(imageURL) {
      try {
        await docker.getImage(imageURL).remove();
      } catch (error) {
        const status = engineStatus(error);
        // 404: gone already. 409: a container (a task being replaced) still uses it; it is pruned later.
        if (status === 404 || status === 409) return;
        throw engineError(prefix, docker, `removing image "${imageURL}"`, error);
      }
    },

    async push(imageURL, onProgress) {
      if (registry === undefined) throw new InvalidInputError(`[${prefix}] no registry is configured to push "${imageURL}" to`);
      await pushImage(docker, imageURL, registry, prefix, onProgress);
    },

    async ensurePulled(imageURL, onProgress) {
      if (await this.imageExists(imageURL)) return;
      await pullImage(docker, imageURL, prefix, onProgress);
    },
  };
}
