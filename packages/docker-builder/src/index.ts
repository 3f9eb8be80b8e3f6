/**
 * @dispatch/docker-builder: builds Dispatch's images (base, dependency and function images) through the
 * Docker API, with the Dockerfiles of @dispatch/runtimes. Shared by the container backends (swarm, knative).
 */
export { baseImageArgsFromEnv, createDockerImageBuilder, registryFromEnv } from './docker-image-builder.js';
export type {
  BaseImageArgs,
  DockerImageBuilder,
  DockerImageBuilderOptions,
  FunctionImageSpec,
  RegistrySettings,
} from './docker-image-builder.js';
export { ImageBuildError, engineError, isEngineUnreachable } from './engine-errors.js';
export type { BuildFailure } from './build-output.js';
export { systemPackagesArg } from './system-packages.js';
export { CONTEXT_DOCKERFILE, imageBuildContext } from './image-context.js';
export type { ImageBuildContext } from './image-context.js';
