import type { CreateInput, Image, Language, SystemPackage, UpdateInput } from '../domain/types.js';
import { assertLanguage, isImageReference, languageFromImageReference } from '../domain/validation.js';
import { InvalidInputError } from '../errors.js';
import type { EntityService } from './dispatch-service.js';
import { reasonOf } from './entity-lifecycle.js';
import { jobKey, type ServiceContext } from './service-context.js';

export interface ImageServiceInternals {
  build(name: string): void;
  /** Called after an image is rebuilt, so functions on it pick up the new dependencies. */
  onRebuilt?: (imageName: string) => void;
}

function normalizePackages(value: unknown): SystemPackage[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidInputError('systemDependencies.packages must be a list of {name, version}');
  return value.map((entry) => {
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof (entry as SystemPackage).name !== 'string' ||
      !(entry as SystemPackage).name
    ) {
      throw new InvalidInputError('every system package needs a "name"');
    }
    const { name, version } = entry as SystemPackage;
    return version ? { name, version: String(version) } : { name };
  });
}

/** `runtimeDependencies` of an input; a missing manifest keeps `currentManifest` (an update of `allowScripts` alone). */
function runtimeDependenciesOf(value: unknown, currentManifest = ''): Image['runtimeDependencies'] {
  if (value === undefined || value === null) return { manifest: currentManifest };
  const { manifest, allowScripts } = (typeof value === 'object' ? value : {}) as { manifest?: unknown; allowScripts?: unknown };
  if (typeof value !== 'object' || (typeof manifest !== 'string' && manifest !== undefined)) {
    throw new InvalidInputError('runtimeDependencies.manifest must be the text of package.json or requirements.txt');
  }
  if (allowScripts !== undefined && typeof allowScripts !== 'boolean') {
    throw new InvalidInputError('runtimeDependencies.allowScripts must be true or false');
  }
  return allowScripts ? { manifest: manifest ?? currentManifest, allowScripts: true } : { manifest: manifest ?? currentManifest };
}

/** Images: a base image plus runtime and system dependencies, built by the driver. */
export function createImageService(context: ServiceContext): EntityService<Image> & ImageServiceInternals {
  const lifecycle = context.lifecycles.image;
  const baseImages = context.lifecycles.baseimage;

  /** The language an image has, from its base image entity or, for an image URL, from the input or the URL. */
  async function languageFor(baseImage: string, requested: unknown, imageName: string): Promise<Language> {
    if (isImageReference(baseImage)) {
      const language = requested ?? languageFromImageReference(baseImage);
      if (language === undefined) {
        throw new InvalidInputError(`image "${imageName}": give a language (nodejs or python3); it cannot be told from "${baseImage}"`);
      }
      assertLanguage(language, `image "${imageName}"`);
      return language;
    }
    const base = await baseImages.get(baseImage);
    if (requested !== undefined && requested !== base.language) {
      throw new InvalidInputError(
        `image "${imageName}": language ${String(requested)} does not match base image "${baseImage}" (${base.language})`,
      );
    }
    return base.language;
  }

  const service: EntityService<Image> & ImageServiceInternals = {
    build(name: string): void {
      context.jobs.start(jobKey('image', name), async (isCurrent) => {
        const image = await lifecycle.get(name);
        const rebuild = image.status === 'UPDATING';
        let buildStarted: number | undefined;
        try {
          let baseImageURL = image.baseImage;
          if (!isImageReference(image.baseImage)) {
            baseImageURL = (await baseImages.waitUntilReady(image.baseImage, { signal: context.jobs.signal })).imageURL;
          }
          if (!isCurrent()) return;
          if (!rebuild) await lifecycle.setStatus(name, 'CREATING');
          buildStarted = performance.now();
          const built = await context.driver.buildImage(
            {
              name,
              language: image.language,
              baseImageURL,
              runtimeDependencies: image.runtimeDependencies.manifest,
              allowInstallScripts: image.runtimeDependencies.allowScripts === true,
              systemPackages: image.systemDependencies.packages,
            },
            lifecycle.progressListener(name),
          );
          context.observers.buildFinished({ kind: 'image', name, ok: true, durationMs: performance.now() - buildStarted });
          if (!isCurrent()) return;
          await lifecycle.setStatus(name, 'READY', '', { imageURL: built.imageURL });
          if (rebuild) service.onRebuilt?.(name);
        } catch (error) {
          if (buildStarted !== undefined)
            context.observers.buildFinished({ kind: 'image', name, ok: false, durationMs: performance.now() - buildStarted });
          if (isCurrent()) await lifecycle.setStatus(name, 'ERROR', reasonOf(error));
        }
      });
    },

    async create(input: CreateInput<Image>) {
      const meta = lifecycle.newMeta(input.name, input.tags);
      if (typeof input.baseImage !== 'string' || input.baseImage === '') {
        throw new InvalidInputError(`image "${meta.name}": baseImage is required (a base image name or an image URL)`);
      }
      const entity: Image = {
        ...meta,
        baseImage: input.baseImage,
        language: await languageFor(input.baseImage, input.language, meta.name),
        imageURL: '',
        runtimeDependencies: runtimeDependenciesOf(input.runtimeDependencies),
        systemDependencies: { packages: normalizePackages(input.systemDependencies?.packages) },
      };
      await lifecycle.insert(entity);
      service.build(entity.name);
      return entity;
    },

    get: (name) => lifecycle.get(name),
    list: (filter) => lifecycle.repo.list(filter),

    async update(name: string, input: UpdateInput<Image>) {
      let rebuild = false;
      const current = await lifecycle.get(name);
      const baseImage = input.baseImage ?? current.baseImage;
      const language = await languageFor(
        baseImage,
        input.language ?? (baseImage === current.baseImage ? current.language : undefined),
        name,
      );
      const updated = await lifecycle.modify(
        name,
        (latest) => {
          const next: Image = {
            ...latest,
            baseImage,
            language,
            runtimeDependencies: input.runtimeDependencies
              ? runtimeDependenciesOf(input.runtimeDependencies, latest.runtimeDependencies.manifest)
              : latest.runtimeDependencies,
            systemDependencies: input.systemDependencies
              ? { packages: normalizePackages(input.systemDependencies.packages) }
              : latest.systemDependencies,
            tags: input.tags ?? latest.tags,
          };
          rebuild =
            latest.status === 'ERROR' ||
            next.baseImage !== latest.baseImage ||
            next.runtimeDependencies.manifest !== latest.runtimeDependencies.manifest ||
            next.runtimeDependencies.allowScripts !== latest.runtimeDependencies.allowScripts ||
            JSON.stringify(next.systemDependencies) !== JSON.stringify(latest.systemDependencies);
          return rebuild ? { ...next, status: latest.status === 'READY' ? 'UPDATING' : 'INITIALIZED', reason: '' } : next;
        },
        input.revision,
      );
      if (rebuild) service.build(name);
      return updated;
    },

    async delete(name: string) {
      const image = await lifecycle.get(name);
      const users = (await context.lifecycles.function.repo.list()).filter((fn) => fn.image === name);
      lifecycle.assertUnused(
        name,
        users.map((fn) => `function "${fn.name}"`),
      );
      context.jobs.cancel(jobKey('image', name));
      await lifecycle.remove(name);
      if (image.imageURL) {
        await context.driver.removeImage?.(image.imageURL).catch((error: unknown) => {
          context.logger?.warn({ err: error, image: name }, 'could not remove the built image');
        });
      }
      return { ...image, status: 'DELETING' };
    },

    watch: (name, options) => lifecycle.watch(name, options),

    waitUntilReady: (name, options) => lifecycle.waitUntilReady(name, options),
  };
  return service;
}
