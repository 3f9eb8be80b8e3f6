import type { BaseImage, CreateInput, UpdateInput } from '../domain/types.js';
import { assertLanguage } from '../domain/validation.js';
import { InvalidInputError } from '../errors.js';
import type { EntityService } from './dispatch-service.js';
import { reasonOf } from './entity-lifecycle.js';
import { jobKey, type ServiceContext } from './service-context.js';

/** Base images: OS + language runtime + function server. The driver makes sure one is usable. */
export function createBaseImageService(context: ServiceContext): EntityService<BaseImage> & { prepare(name: string): void } {
  const lifecycle = context.lifecycles.baseimage;

  function prepare(name: string): void {
    context.jobs.start(jobKey('baseimage', name), async (isCurrent) => {
      const current = await lifecycle.setStatus(name, 'CREATING');
      if (!current) return;
      try {
        await context.driver.prepareBaseImage?.(
          { name, language: current.language, imageURL: current.imageURL },
          lifecycle.progressListener(name),
        );
        if (isCurrent()) await lifecycle.setStatus(name, 'READY');
      } catch (error) {
        if (isCurrent()) await lifecycle.setStatus(name, 'ERROR', reasonOf(error));
      }
    });
  }

  function resolveImageURL(language: BaseImage['language'], imageURL: unknown): string {
    if (imageURL === undefined || imageURL === '') {
      const fallback = context.driver.defaultBaseImages?.()[language];
      if (!fallback)
        throw new InvalidInputError(`imageURL is required: the ${context.driver.name} backend has no default ${language} base image`);
      return fallback;
    }
    if (typeof imageURL !== 'string') throw new InvalidInputError('imageURL must be a string');
    return imageURL;
  }

  return {
    prepare,

    async create(input: CreateInput<BaseImage>) {
      const meta = lifecycle.newMeta(input.name, input.tags);
      assertLanguage(input.language, `base image "${meta.name}"`);
      const entity: BaseImage = { ...meta, language: input.language, imageURL: resolveImageURL(input.language, input.imageURL) };
      await lifecycle.insert(entity);
      prepare(entity.name);
      return entity;
    },

    get: (name) => lifecycle.get(name),
    list: (filter) => lifecycle.repo.list(filter),

    async update(name: string, input: UpdateInput<BaseImage>) {
      let changed = false;
      const updated = await lifecycle.modify(
        name,
        (current) => {
          const language = input.language ?? current.language;
          assertLanguage(language, `base image "${name}"`);
          const imageURL = input.imageURL === undefined ? current.imageURL : resolveImageURL(language, input.imageURL);
          changed = language !== current.language || imageURL !== current.imageURL || current.status === 'ERROR';
          return {
            ...current,
            language,
            imageURL,
            tags: input.tags ?? current.tags,
            ...(changed ? { status: 'UPDATING' as const, reason: '' } : {}),
          };
        },
        input.revision,
      );
      if (changed) prepare(name);
      return updated;
    },

    async delete(name: string) {
      const entity = await lifecycle.get(name);
      const users = (await context.lifecycles.image.repo.list()).filter((image) => image.baseImage === name);
      lifecycle.assertUnused(
        name,
        users.map((image) => `image "${image.name}"`),
      );
      context.jobs.cancel(jobKey('baseimage', name));
      await lifecycle.remove(name);
      return { ...entity, status: 'DELETING' };
    },

    watch: (name, options) => lifecycle.watch(name, options),

    waitUntilReady: (name, options) => lifecycle.waitUntilReady(name, options),
  };
}
