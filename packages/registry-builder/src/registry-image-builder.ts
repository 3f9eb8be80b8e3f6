import { DISPATCH_VERSION, InvalidInputError, NotFoundError, assertValidName } from '@dispatch/core/driver';
import type { BaseImageSpec, BuiltImage, ImageBuildSpec, Language, ProgressListener } from '@dispatch/core/driver';
import { appendLayers } from './append-layers.js';
import { parseImageReference } from './image-reference.js';
import { layerFromEntries, sourceEntries } from './image-layer.js';
import { hostPlatform, resolveImage } from './image-manifest.js';
import type { Platform, ResolvedImage } from './image-manifest.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryCredentials } from './registry-client.js';
import { registryAddress, registryPrefix } from './registry-settings.js';
import type { RegistrySettings } from './registry-settings.js';
import { runtimeLayer } from './runtime-layer.js';
import { dependencyLayer } from './dependency-layer.js';
import type { InstallCommands } from './dependency-layer.js';
import { createHash } from 'node:crypto';

/** The language images Dispatch's base images are assembled on (official images by default). */
export interface LanguageImages {
  nodejs?: string;
  python3?: string;
}

export interface RegistryImageBuilderOptions {
  /** Where images are written; its login is used for every image of that registry. */
  registry: RegistrySettings;
  /** Default: `DISPATCH_NODE_IMAGE` / `DISPATCH_PYTHON_IMAGE`, else `node:22-bookworm-slim` / `python:3.12-slim-bookworm`. */
  languageImages?: LanguageImages;
  /** Logins of other registries base images are read from, by `host[:port]`. */
  credentials?: Record<string, RegistryCredentials>;
  /** The platform images are built for; default: this machine's (`linux/amd64` on most). */
  platform?: Platform;
  /** Prefix of error messages, `[<prefix>] …`; default `registry`. */
  errorPrefix?: string;
  /** How runtime dependencies are installed (npm, pip on this machine). */
  installCommands?: InstallCommands;
}

/** What a function image is made of. */
export interface FunctionImageSpec {
  name: string;
  revision: number;
  /** The image to build on (a base image or an image with dependencies). */
  imageURL: string;
  /** The function's source, a tar.gz as the CLI sends it. */
  source: Buffer;
  handler: string;
}

/**
 * Assembles Dispatch's images in a registry, without a Docker daemon: a function image is its image plus one
 * layer holding the source, and its reference is its digest (`<registry>/<repo>/fn-<name>@sha256:…`), so a
 * revision never changes under a running function.
 */
export interface RegistryImageBuilder {
  readonly settings: RegistrySettings;
  /** `<registry>/<repo>/nodejs-base:<version>` and the python3 one. */
  defaultBaseImages(): Record<Language, string>;
  /** Makes sure a base image is in its registry: Dispatch's own are assembled from the language image when missing. */
  prepareBaseImage(spec: BaseImageSpec, onProgress?: ProgressListener): Promise<void>;
  /** Assembles a Dispatch base image from the language image under `target`; resolves with its digest reference. */
  buildBaseImage(language: Language, target: string, onProgress?: ProgressListener): Promise<string>;
  /**
   * Base image + runtime dependencies (installed here without running any package's code, appended as a layer) →
   * `<registry>/<repo>/image-<name>@sha256:…`; without dependencies, the base image itself. System packages and
   * install scripts need a build: refused.
   */
  buildImage(spec: ImageBuildSpec, onProgress?: ProgressListener): Promise<BuiltImage>;
  /** Image + source → `<registry>/<repo>/fn-<name>@sha256:…`. */
  buildFunctionImage(spec: FunctionImageSpec, onProgress?: ProgressListener): Promise<string>;
}

const OFFICIAL_IMAGES: Record<Language, string> = { nodejs: 'node:22-bookworm-slim', python3: 'python:3.12-slim-bookworm' };

/** Creates a builder that writes images into `options.registry`. */
export function createRegistryImageBuilder(options: RegistryImageBuilderOptions): RegistryImageBuilder {
  const settings = options.registry;
  const prefix = options.errorPrefix ?? 'registry';
  const platform = options.platform ?? hostPlatform();
  const names = registryPrefix(settings);
  const own = registryAddress(settings);
  const languageImages: Record<Language, string> = {
    nodejs: options.languageImages?.nodejs ?? process.env.DISPATCH_NODE_IMAGE ?? OFFICIAL_IMAGES.nodejs,
    python3: options.languageImages?.python3 ?? process.env.DISPATCH_PYTHON_IMAGE ?? OFFICIAL_IMAGES.python3,
  };
  const clients = new Map<string, RegistryClient>();
  const defaults: Record<Language, string> = {
    nodejs: `${names}nodejs-base:${DISPATCH_VERSION}`,
    python3: `${names}python3-base:${DISPATCH_VERSION}`,
  };

  function clientFor(host: string): RegistryClient {
    let client = clients.get(host);
    if (client === undefined) {
      const credentials = host === own.host ? { username: settings.username, password: settings.password } : options.credentials?.[host];
      client = new RegistryClient({
        registry: host,
        ...(credentials === undefined ? {} : { credentials }),
        ...(host === own.host && own.insecure ? { insecure: true } : {}),
        errorPrefix: prefix,
      });
      clients.set(host, client);
    }
    return client;
  }

  /**
   * Dispatch's own base images under the seed's names (`dispatch/nodejs-base`, `dispatch/python3-base`) live in
   * the configured registry: the quickstart's `create base-image python3-base dispatch/python3-base` then works.
   */
  function located(imageURL: string): string {
    const seed = /^(?:docker\.io\/)?dispatch\/(nodejs|python3)-base(?::latest)?$/.exec(imageURL.trim());
    return seed === null ? imageURL : defaults[seed[1] as Language];
  }

  async function read(imageURL: string): Promise<{ image: ResolvedImage; client: RegistryClient }> {
    const ref = parseImageReference(located(imageURL));
    const client = clientFor(ref.registry);
    const image = await resolveImage(client, ref.repository, ref.digest ?? ref.tag ?? 'latest', platform);
    return { image, client };
  }

  function target(imageURL: string): { client: RegistryClient; repository: string; tag: string } {
    const ref = parseImageReference(imageURL);
    return { client: clientFor(ref.registry), repository: ref.repository, tag: ref.tag ?? 'latest' };
  }

  return {
    settings,
    defaultBaseImages: () => ({ ...defaults }),

    async prepareBaseImage(spec, onProgress) {
      const imageURL = located(spec.imageURL);
      try {
        await read(imageURL);
        return;
      } catch (error) {
        if (!(error instanceof NotFoundError) || imageURL !== defaults[spec.language]) throw error;
      }
      await this.buildBaseImage(spec.language, imageURL, onProgress);
    },

    async buildBaseImage(language, imageURL, onProgress) {
      if (defaults[language] === undefined) throw new InvalidInputError(`[${prefix}] no base image for language "${String(language)}"`);
      const from = languageImages[language];
      onProgress?.(`[${prefix}] assembling ${imageURL} from ${from} (${platform.os}/${platform.architecture})`);
      const base = await read(from);
      const runtime = await runtimeLayer(language, from, DISPATCH_VERSION);
      const layer = await layerFromEntries(runtime.entries);
      const out = target(imageURL);
      const { digest } = await appendLayers({
        base: base.image,
        baseClient: base.client,
        ...out,
        layers: [layer],
        env: runtime.env,
        labels: runtime.labels,
        container: runtime.container,
        createdBy: `dispatch: ${language} function server`,
      });
      onProgress?.(`[${prefix}] wrote ${imageURL} (${digest})`);
      return `${out.client.registry}/${out.repository}@${digest}`;
    },

    async buildImage(spec, onProgress) {
      assertValidName('image', spec.name);
      const manifest = spec.runtimeDependencies.trim();
      if (spec.systemPackages.length > 0 || spec.allowInstallScripts === true) {
        const why = spec.systemPackages.length > 0 ? 'system packages' : 'install scripts';
        throw new InvalidInputError(
          `[${prefix}] image "${spec.name}": ${why} need a build, and this backend assembles images in the registry without one (build on a Docker engine instead: builder.dockerHost)`,
        );
      }
      if (manifest === '') {
        // Nothing to add: the image is its base, checked to be there (and readable) now rather than at deploy.
        await read(spec.baseImageURL);
        return { imageURL: located(spec.baseImageURL) };
      }
      const base = await read(spec.baseImageURL);
      // The same base and manifest make the same image: found by its tag, it is not installed again.
      const hash = createHash('sha256')
        .update(JSON.stringify([spec.language, base.image.manifestDigest, manifest]))
        .digest('hex')
        .slice(0, 16);
      const out = target(`${names}image-${spec.name}:${hash}`);
      try {
        const existing = await out.client.getManifest(out.repository, out.tag);
        return { imageURL: `${out.client.registry}/${out.repository}@${existing.digest}` };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      const layer = await dependencyLayer({
        language: spec.language,
        manifest,
        platform,
        prefix,
        ...(options.installCommands === undefined ? {} : { commands: options.installCommands }),
        ...(onProgress === undefined ? {} : { onProgress }),
      });
      const { digest } = await appendLayers({
        base: base.image,
        baseClient: base.client,
        ...out,
        layers: [layer],
        labels: { 'dispatch.image': spec.name },
        createdBy: `dispatch: runtime dependencies of image ${spec.name}`,
      });
      onProgress?.(`[${prefix}] wrote ${out.client.registry}/${out.repository}@${digest} (dependencies layer ${layer.size} bytes)`);
      return { imageURL: `${out.client.registry}/${out.repository}@${digest}` };
    },

    async buildFunctionImage(spec, onProgress) {
      assertValidName('function', spec.name);
      if (spec.handler.trim() === '') throw new InvalidInputError(`[${prefix}] function "${spec.name}" has no handler`);
      const [base, layer] = await Promise.all([read(spec.imageURL), sourceEntries(spec.source, 'function').then(layerFromEntries)]);
      const out = target(`${names}fn-${spec.name}:r${spec.revision}-${layer.digest.slice(7, 19)}`);
      const { digest } = await appendLayers({
        base: base.image,
        baseClient: base.client,
        ...out,
        layers: [layer],
        env: { DISPATCH_HANDLER: spec.handler },
        labels: { 'dispatch.handler': spec.handler, 'dispatch.function': spec.name },
        createdBy: `dispatch: source of function ${spec.name}`,
      });
      const ref = `${out.client.registry}/${out.repository}@${digest}`;
      onProgress?.(`[${prefix}] wrote ${ref} (${out.tag}, source layer ${layer.size} bytes)`);
      return ref;
    },
  };
}
