/**
 * @dispatch/registry-builder: assembles Dispatch's images in an OCI registry (distribution API v2) with no Docker
 * daemon, the way `crane append` and ko do: a function image is its base image plus one layer holding the source.
 */
export { createRegistryImageBuilder } from './registry-image-builder.js';
export type { FunctionImageSpec, LanguageImages, RegistryImageBuilder, RegistryImageBuilderOptions } from './registry-image-builder.js';
export { registryAddress, registryFromEnv, registryPrefix } from './registry-settings.js';
export type { RegistrySettings } from './registry-settings.js';
export { RegistryClient, MEDIA_TYPES, sha256Digest } from './registry-client.js';
export type { FetchedManifest, RegistryClientOptions, RegistryCredentials } from './registry-client.js';
export { formatImageReference, parseImageReference } from './image-reference.js';
export type { ImageReference } from './image-reference.js';
export { hostPlatform, resolveImage } from './image-manifest.js';
export type { ImageConfig, ImageManifest, Platform, ResolvedImage } from './image-manifest.js';
export { appendLayers } from './append-layers.js';
export type { AppendSpec, AppendedImage } from './append-layers.js';
export { layerFromEntries, sourceEntries } from './image-layer.js';
export { dependencyLayer } from './dependency-layer.js';
export type { DependencyLayerSpec, InstallCommands } from './dependency-layer.js';
export type { ImageLayer, LayerEntry } from './image-layer.js';
