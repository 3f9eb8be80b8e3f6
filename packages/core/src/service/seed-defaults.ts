import { LANGUAGES } from '../domain/types.js';
import type { BaseImage, Image, CreateInput } from '../domain/types.js';
import type { EntityService } from './dispatch-service.js';
import type { ServiceContext } from './service-context.js';

/**
 * A new install gets the base images `nodejs-base` and `python3-base` and the images `nodejs` and `python3`,
 * so that the quickstart's `create function --image python3 …` works with no setup. Only an empty store is
 * seeded: what a user deleted on purpose stays deleted.
 */
export async function seedDefaults(
  context: ServiceContext,
  baseImages: EntityService<BaseImage>,
  images: EntityService<Image>,
): Promise<void> {
  const defaults = context.driver.defaultBaseImages?.();
  if (!defaults) return;
  if ((await context.lifecycles.baseimage.repo.list()).length > 0 || (await context.lifecycles.image.repo.list()).length > 0) return;
  const seed = [{ key: 'dispatch', value: 'default' }];
  for (const language of LANGUAGES) {
    await baseImages.create({ name: `${language}-base`, language, imageURL: defaults[language], tags: seed } as CreateInput<BaseImage>);
    await images.create({ name: language, baseImage: `${language}-base`, tags: seed });
  }
}
