import { createHash } from 'node:crypto';
import { BackendError, NotFoundError } from '@dispatch/core/driver';
import { basicAuthorization, fetchBearerToken, readChallenge } from './registry-auth.js';
import type { AuthChallenge, RegistryCredentials } from './registry-auth.js';

export type { RegistryCredentials };

/** How to reach one registry. */
export interface RegistryClientOptions {
  /** `host[:port]`. */
  registry: string;
  credentials?: RegistryCredentials;
  /** Plain HTTP (a registry without TLS, as on loopback); default: HTTPS, plain HTTP for loopback hosts. */
  insecure?: boolean;
  /** Prefix of error messages; default `registry`. */
  errorPrefix?: string;
}

/** A manifest or index as read: its bytes (digests are over these), media type and digest. */
export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ');

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * A client of the OCI distribution API (v2) for one registry: just the calls an image is assembled with
 * (manifests, blobs, cross-repository mounts, monolithic uploads). Authentication follows the registry's
 * challenge: Basic with the login, or the Bearer token dance, a token cached per set of scopes.
 * Every blob and manifest read is checked against its digest.
 */
export class RegistryClient {
  readonly registry: string;
  private readonly base: string;
  private readonly credentials: RegistryCredentials;
  private readonly prefix: string;
  private challenge: AuthChallenge | undefined;
  private readonly authorizations = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(options.registry);
    this.base = `${(options.insecure ?? loopback) ? 'http' : 'https'}://${options.registry}`;
    this.credentials = options.credentials ?? {};
    this.prefix = options.errorPrefix ?? 'registry';
  }

  /** A manifest or an index by tag or digest; NotFoundError when the registry has none. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const response = await this.call('GET', `/v2/${repository}/manifests/${reference}`, [pull(repository)], { accept: MANIFEST_ACCEPT });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new NotFoundError(`[${this.prefix}] image ${this.registry}/${repository}:${reference} not found in the registry`);
    }
    await this.expectOk(response, `reading the manifest of ${repository}:${reference}`);
    const body = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new BackendError(`[${this.prefix}] the manifest of ${repository}@${reference} has digest ${digest}: refused`);
    }
    const mediaType = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType ?? response.headers.get('content-type') ?? '';
    return { body, mediaType, digest };
  }

  /** A blob's bytes, checked against its digest. */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const response = await this.call('GET', `/v2/${repository}/blobs/${digest}`, [pull(repository)]);
    await this.expectOk(response, `reading blob ${digest} of ${repository}`);
    const body = Buffer.from(await response.arrayBuffer());
    if (sha256Digest(body) !== digest)
      throw new BackendError(`[${this.prefix}] blob ${digest} of ${repository} does not match its digest: refused`);
    return body;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.call('HEAD', `/v2/${repository}/blobs/${digest}`, [pull(repository)]);
    await response.body?.cancel();
    if (response.status === 404) return false;
    await this.expectOk(response, `looking for blob ${digest} in ${repository}`);
    return true;
  }

  /**
   * Makes a blob of another repository of this registry available in `repository` without copying it
   * (a cross-repository mount). Resolves false when the registry would rather have it uploaded.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const path = `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const response = await this.call('POST', path, [push(repository), pull(from)]);
    await response.body?.cancel();
    if (response.status === 201) return true;
    if (response.status === 202) {
      // An upload session was opened instead: close it, the caller uploads.
      const location = response.headers.get('location');
      if (location !== null)
        await this.call('DELETE', this.uploadURL(location).toString(), [push(repository)]).then(
          (r) => r.body?.cancel(),
          () => undefined,
        );
      return false;
    }
    await this.expectOk(response, `mounting blob ${digest} into ${repository}`);
    return false;
  }

  /** Uploads a blob in one request (POST then PUT with its digest), unless the repository has it already. */
  async putBlob(repository: string, data: Buffer, digest = sha256Digest(data)): Promise<string> {
    if (await this.hasBlob(repository, digest)) return digest;
    const start = await this.call('POST', `/v2/${repository}/blobs/uploads/`, [push(repository)]);
    await start.body?.cancel();
    await this.expectOk(start, `starting an upload to ${repository}`);
    const location = start.headers.get('location');
    if (location === null) throw new BackendError(`[${this.prefix}] the registry opened an upload to ${repository} without a Location`);
    const url = this.uploadURL(location);
    url.searchParams.set('digest', digest);
    const done = await this.call('PUT', url.toString(), [push(repository)], { 'content-type': 'application/octet-stream' }, data);
    await done.body?.cancel();
    await this.expectOk(done, `uploading blob ${digest} to ${repository}`);
    const stored = done.headers.get('docker-content-digest');
    if (stored !== null && stored !== digest) throw new BackendError(`[${this.prefix}] the registry stored blob ${digest} as ${stored}`);
    return digest;
  }

  /** Writes a manifest under `reference` (a tag or its digest); resolves with its digest, as the registry confirmed. */
  async putManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(body);
    const response = await this.call(
      'PUT',
      `/v2/${repository}/manifests/${reference}`,
      [push(repository)],
      { 'content-type': mediaType },
      body,
    );
    await this.expectOk(response, `writing the manifest of ${repository}:${reference}`);
    await response.body?.cancel();
    const stored = response.headers.get('docker-content-digest');
    if (stored !== null && stored !== digest)
      throw new BackendError(`[${this.prefix}] the registry stored the manifest of ${repository} as ${stored}, not ${digest}`);
    return digest;
  }

  private uploadURL(location: string): URL {
    return new URL(location, this.base);
  }

  /** One call, authenticated as the registry's last challenge asked; a 401 is answered once, by the challenge it carries. */
  private async call(
    method: string,
    path: string,
    scopes: string[],
    headers: Record<string, string> = {},
    body?: Buffer,
  ): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const key = scopes.join(' ');
    for (let attempt = 0; ; attempt++) {
      const authorization = this.challenge === undefined ? undefined : await this.authorization(key, scopes);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { ...headers, ...(authorization === undefined ? {} : { authorization }) },
          ...(body === undefined ? {} : { body }),
          redirect: 'follow',
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new BackendError(
          `[${this.prefix}] the registry ${this.registry} is unreachable (${cause?.code ?? cause?.message ?? (error as Error).message})`,
          { cause: error },
        );
      }
      if (response.status !== 401 || attempt > 0) return response;
      await response.body?.cancel();
      const challenge = readChallenge(response.headers.get('www-authenticate'));
      if (challenge === undefined) return response;
      this.challenge = challenge;
      this.authorizations.delete(key);
    }
  }

  private async authorization(key: string, scopes: string[]): Promise<string | undefined> {
    const cached = this.authorizations.get(key);
    if (cached !== undefined) return cached;
    const value =
      this.challenge?.scheme === 'bearer'
        ? await fetchBearerToken(this.challenge, scopes, this.credentials, this.prefix)
        : basicAuthorization(this.credentials);
    if (value !== undefined) this.authorizations.set(key, value);
    return value;
  }

  private async expectOk(response: Response, doing: string): Promise<void> {
    if (response.ok) return;
    const text = response.bodyUsed ? '' : await response.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
      if (errors.length > 0) detail = errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
    } catch {
      // Not the distribution API's error body: keep the text.
    }
    if (response.status === 401 || response.status === 403) {
      const login = basicAuthorization(this.credentials) === undefined ? 'no credentials were given' : 'the credentials were refused';
      throw new BackendError(
        `[${this.prefix}] ${doing}: the registry ${this.registry} denied access (HTTP ${response.status}; ${login})${detail ? `: ${detail}` : ''}`,
      );
    }
    throw new BackendError(
      `[${this.prefix}] ${doing}: the registry ${this.registry} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
    );
  }
}

function pull(repository: string): string {
  return `repository:${repository}:pull`;
}

function push(repository: string): string {
  return `repository:${repository}:pull,push`;
}
