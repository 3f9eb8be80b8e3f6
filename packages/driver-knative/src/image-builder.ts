import { createDockerImageBuilder } from '@dispatch/docker-builder';
import type { DockerImageBuilder } from '@dispatch/docker-builder';
import { createRegistryImageBuilder } from '@dispatch/registry-builder';
import type { RegistryImageBuilder, RegistryImageBuilderOptions, RegistrySettings } from '@dispatch/registry-builder';
import type { BaseImageSpec, BuiltImage, ImageBuildSpec, Language, ProgressListener } from '@dispatch/core/driver';
import { needsBuildJob } from './build-job.js';
import type { BuildJobRunner } from './build-job.js';

/** What a function image is built from. */
export interface FunctionImageBuild {
  name: string;
  revision: number;
  /** The image to build on. */
  imageURL: string;
  /** The function's source, a tar.gz. */
  source: Buffer;
  handler: string;
}

/**
 * How the knative driver gets images: built somewhere, then reachable by the cluster. The registry builder (the
 * default with a registry) assembles them in the registry with no daemon; the Docker builder builds them on an
 * engine and pushes them (or leaves them on the engine the cluster's nodes use).
 */
export interface KnativeImageBuilder {
  prepareBaseImage?(spec: BaseImageSpec, onProgress?: ProgressListener): Promise<void>;
  defaultBaseImages?(): Record<Language, string>;
  buildImage(spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage>;
  /** Builds the function image and makes it pullable by the cluster; resolves with its reference. */
  buildFunctionImage(spec: FunctionImageBuild, onProgress?: ProgressListener): Promise<string>;
  removeImage?(imageURL: string): Promise<void>;
}

export type { RegistrySettings };

const BASE_IMAGES: Record<Language, string> = {
  nodejs: 'dispatch/nodejs-base',
  python3: 'dispatch/python3-base',
};

/**
 * The Docker builder: images are built on a Docker engine and, when a registry is configured, pushed to it
 * (the cluster pulls them from there). Without a registry they stay on that engine, which suits a cluster
 * whose nodes share it (and the test harness).
 */
export function createDockerKnativeImageBuilder(
  options: { registry?: RegistrySettings; builder?: DockerImageBuilder } = {},
): KnativeImageBuilder {
  const builder =
    options.builder ??
    createDockerImageBuilder({ errorPrefix: 'knative', ...(options.registry === undefined ? {} : { registry: options.registry }) });
  return {
    defaultBaseImages: () => ({ ...BASE_IMAGES }),
    async prepareBaseImage(spec, onProgress) {
      if (await builder.imageExists(spec.imageURL)) return;
      // Dispatch's own base images can be built here; any other URL is the user's to provide.
      if (spec.imageURL === BASE_IMAGES[spec.language]) await builder.buildBaseImage(spec.language, spec.imageURL, onProgress);
    },
    buildImage: (spec, onProgress) => builder.buildImage(spec, onProgress),
    buildFunctionImage: (spec, onProgress) => builder.buildFunctionImage(spec, onProgress),
    removeImage: (imageURL) => builder.removeImage(imageURL),
  };
}

/**
 * The registry builder: base, dependency and function images are assembled in the registry itself (base image +
 * layers, no Docker daemon, no privileged pod); a function image is named by its digest, so a revision is immutable.
 * An image that needs a real build (system packages, install scripts) goes to `buildJobs`, a Kubernetes Job
 * running kaniko; without it, such an image is refused with the reason.
 */
export function createRegistryKnativeImageBuilder(
  options: { registry: RegistrySettings; builder?: RegistryImageBuilder; buildJobs?: BuildJobRunner } & Omit<
    RegistryImageBuilderOptions,
    'registry'
  >,
): KnativeImageBuilder {
  const { builder: given, buildJobs, ...rest } = options;
  const builder = given ?? createRegistryImageBuilder({ errorPrefix: 'knative', ...rest });
  return {
    defaultBaseImages: () => builder.defaultBaseImages(),
    prepareBaseImage: (spec, onProgress) => builder.prepareBaseImage(spec, onProgress),
    buildImage: (spec, onProgress) =>
      buildJobs !== undefined && needsBuildJob(spec) ? buildJobs.buildImage(spec, onProgress) : builder.buildImage(spec, onProgress),
    buildFunctionImage: (spec, onProgress) => builder.buildFunctionImage(spec, onProgress),
  };
}
