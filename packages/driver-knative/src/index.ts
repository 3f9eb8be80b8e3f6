/**
 * @dispatch/driver-knative: Dispatch's Kubernetes backend. Each function is a Knative Service
 * (`serving.knative.dev/v1`) running the function server in HTTP mode, called over HTTP.
 */
export { createKnativeDriver } from './knative-driver.js';
export type { KnativeDriverOptions } from './knative-driver.js';
export { createDockerKnativeImageBuilder, createRegistryKnativeImageBuilder } from './image-builder.js';
export type { FunctionImageBuild, KnativeImageBuilder, RegistrySettings } from './image-builder.js';
export { knativeDriverOptionsFromEnv } from './options-from-env.js';
export { serviceManifest, revisionTimeoutSeconds } from './knative-service.js';
export type { KnativeObject } from './knative-service.js';
export { DEFAULT_BUILD_JOB_IMAGE, MAX_BUILD_CONTEXT_BYTES, createBuildJobRunner, needsBuildJob } from './build-job.js';
export type { BuildJobOptions, BuildJobResources, BuildJobRunner } from './build-job.js';
