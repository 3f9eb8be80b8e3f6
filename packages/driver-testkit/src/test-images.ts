import Docker from 'dockerode';

/**
 * Removes every image with a tag that starts with one of the prefixes (the function images a test built), so a test
 * leaves the engine as it found it. Images still in use by a container are removed anyway (`force`); failures are
 * ignored, since another run may have removed them first.
 */
export async function removeTestImages(prefixes: string[], docker: Docker = new Docker()): Promise<void> {
  const images = await docker.listImages();
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      if (!prefixes.some((prefix) => tag.startsWith(prefix))) continue;
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}
