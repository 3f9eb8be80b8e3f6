import { BackendError } from '@dispatch/core/driver';
import { MEDIA_TYPES } from './registry-client.js';
import type { FetchedManifest, RegistryClient } from './registry-client.js';

/** The platform an image runs on, as an index names it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An image manifest (OCI or Docker v2 schema 2: the same shape). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** The image configuration: what `docker run` runs, and the layers' uncompressed digests. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, object>;
    [field: string]: unknown;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  [field: string]: unknown;
}

/** An image as read from a registry: one platform's manifest and config. */
export interface ResolvedImage {
  repository: string;
  manifest: ImageManifest;
  manifestDigest: string;
  manifestMediaType: string;
  config: ImageConfig;
}

const ARCHITECTURES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };

/** The platform of this machine, in the registry's words (`linux/amd64`). */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: ARCHITECTURES[process.arch] ?? process.arch };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/**
 * Reads an image's manifest and config for `platform`. A multi-platform index (OCI index or Docker manifest list)
 * is resolved to the entry for that platform; an image without one of it fails with the platforms it has.
 */
export async function resolveImage(
  client: RegistryClient,
  repository: string,
  reference: string,
  platform: Platform,
): Promise<ResolvedImage> {
  let fetched: FetchedManifest = await client.getManifest(repository, reference);
  if (isIndex(fetched.mediaType)) {
    const index = JSON.parse(fetched.body.toString('utf8')) as { manifests?: Descriptor[] };
    const entries = (index.manifests ?? []).filter((entry) => entry.platform !== undefined);
    const match =
      entries.find((entry) => samePlatform(entry.platform, platform, true)) ??
      entries.find((entry) => samePlatform(entry.platform, platform, false));
    if (match === undefined) {
      const has = entries.map((entry) => formatPlatform(entry.platform as Platform)).join(', ') || 'none';
      throw new BackendError(
        `image ${client.registry}/${repository}:${reference} has no ${formatPlatform(platform)} variant (it has: ${has})`,
      );
    }
    fetched = await client.getManifest(repository, match.digest);
  }
  const manifest = JSON.parse(fetched.body.toString('utf8')) as ImageManifest;
  if (manifest.schemaVersion !== 2 || manifest.config === undefined || !Array.isArray(manifest.layers)) {
    throw new BackendError(
      `image ${client.registry}/${repository}:${reference} has a manifest of a kind Dispatch cannot build on (${fetched.mediaType || 'schema 1'})`,
    );
  }
  const config = JSON.parse((await client.getBlob(repository, manifest.config.digest)).toString('utf8')) as ImageConfig;
  const mediaType = fetched.mediaType || manifest.mediaType || MEDIA_TYPES.ociManifest;
  return { repository, manifest, manifestDigest: fetched.digest, manifestMediaType: mediaType, config };
}

function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList;
}

function samePlatform(a: Platform | undefined, b: Platform, withVariant: boolean): boolean {
  if (a === undefined || a.os !== b.os || a.architecture !== b.architecture) return false;
  return !withVariant || b.variant === undefined || a.variant === b.variant;
}
