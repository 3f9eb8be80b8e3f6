import { MEDIA_TYPES } from './registry-client.js';
import type { RegistryClient } from './registry-client.js';
import type { Descriptor, ImageConfig, ImageManifest, ResolvedImage } from './image-manifest.js';
import type { ImageLayer } from './image-layer.js';

/** What an image gets on top of its base. */
export interface AppendSpec {
  /** The base image, as resolved (manifest and config for one platform). */
  base: ResolvedImage;
  /** The client of the base image's registry. */
  baseClient: RegistryClient;
  /** Where the new image goes (the client of its registry, the repository and a tag). */
  client: RegistryClient;
  repository: string;
  tag: string;
  layers: readonly ImageLayer[];
  /** Env entries set (replacing the base's value of the same name). */
  env?: Record<string, string>;
  labels?: Record<string, string>;
  /** Other fields of the container config replaced (`User`, `WorkingDir`, `Cmd`, `Entrypoint`, `ExposedPorts`). */
  container?: Partial<NonNullable<ImageConfig['config']>>;
  /** What the history says made the layers. */
  createdBy: string;
}

/** The new image: its manifest's digest and size. */
export interface AppendedImage {
  digest: string;
  size: number;
}

/**
 * Writes base image + layers into the registry the way `crane append` does, with no daemon: the base's layers
 * are mounted from its repository when both sit in the same registry (copied otherwise), the new layers uploaded,
 * then the new config and the manifest written. The manifest keeps the base's format (OCI or Docker v2).
 */
export async function appendLayers(spec: AppendSpec): Promise<AppendedImage> {
  const { base, client, repository } = spec;
  const oci = base.manifestMediaType === MEDIA_TYPES.ociManifest;
  const sameRegistry = spec.baseClient.registry === client.registry;
  const config = nextConfig(base.config, spec);
  const configBlob = Buffer.from(JSON.stringify(config), 'utf8');
  // Every blob at once: the base's layers (there already, mounted or copied), the new layers and the config.
  const [configDigest] = await Promise.all([
    client.putBlob(repository, configBlob),
    ...spec.layers.map((layer) => client.putBlob(repository, layer.blob, layer.digest)),
    ...base.manifest.layers.map(async (layer) => {
      if (sameRegistry && base.repository === repository) return;
      if (await client.hasBlob(repository, layer.digest)) return;
      if (sameRegistry && (await client.mountBlob(repository, layer.digest, base.repository))) return;
      await client.putBlob(repository, await spec.baseClient.getBlob(base.repository, layer.digest), layer.digest);
    }),
  ]);
  const layerType = oci ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.dockerLayerGzip;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest,
    config: { mediaType: oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, digest: configDigest, size: configBlob.length },
    layers: [
      ...base.manifest.layers,
      ...spec.layers.map((layer): Descriptor => ({ mediaType: layerType, digest: layer.digest, size: layer.size })),
    ],
  };
  const body = Buffer.from(JSON.stringify(manifest), 'utf8');
  const digest = await client.putManifest(repository, spec.tag, body, manifest.mediaType as string);
  return { digest, size: body.length };
}

/** The base's config with the layers' diff IDs, history, env, labels and container fields added. */
function nextConfig(base: ImageConfig, spec: AppendSpec): ImageConfig {
  const container = { ...(base.config ?? {}), ...(spec.container ?? {}) };
  const env = [...(container.Env ?? [])];
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    const at = env.findIndex((entry) => entry.split('=', 1)[0] === name);
    if (at >= 0) env[at] = `${name}=${value}`;
    else env.push(`${name}=${value}`);
  }
  container.Env = env;
  container.Labels = { ...(base.config?.Labels ?? {}), ...(spec.labels ?? {}) };
  // The base's creation time, not now: the same inputs make the same image, with the same digest.
  const created = base.created;
  return {
    ...base,
    config: container,
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, ...spec.layers.map((layer) => layer.diffId)] },
    history: [
      ...(base.history ?? []),
      ...spec.layers.map(() => ({ ...(created === undefined ? {} : { created }), created_by: spec.createdBy, comment: 'dispatch' })),
    ],
  };
}
