import { BackendError } from '@dispatch/core/driver';
import type { ProgressListener } from '@dispatch/core/driver';
import type Dockerode from 'dockerode';
import { BuildOutput, engineMessages } from './build-output.js';
import { engineError } from './engine-errors.js';
import type { RegistrySettings } from './docker-image-builder.js';
import { imagePrefix } from './image-names.js';

/**
 * The `X-Registry-Auth` the engine expects for a push to `registry`. An anonymous push still needs the header
 * (the engine answers 400 without it), with empty credentials.
 */
export function registryAuth(registry: RegistrySettings): Dockerode.AuthConfig {
  const serveraddress = imagePrefix({ url: registry.url, repository: '' }).replace(/\/$/, '');
  if (registry.username === undefined && registry.password === undefined) return { username: '', password: '', serveraddress };
  return {
    username: registry.username ?? '',
    password: registry.password ?? '',
    serveraddress,
  };
}

/**
 * Pushes an image, following the engine's progress stream: a push fails inside the stream (an `error`
 * message after a 200), so the stream is read to its end.
 */
export async function pushImage(
  docker: Dockerode,
  imageURL: string,
  registry: RegistrySettings,
  prefix: string,
  onProgress?: ProgressListener,
): Promise<void> {
  const output = new BuildOutput((line) => onProgress?.(line));
  const what = `push of "${imageURL}"`;
  try {
    const stream = await docker.getImage(imageURL).push({ authconfig: registryAuth(registry) });
    for await (const message of engineMessages(stream as AsyncIterable<Buffer>)) output.push(message);
    output.flush();
  } catch (error) {
    throw engineError(prefix, docker, what, error);
  }
  if (output.failure) throw new BackendError(`[${prefix}] ${what} failed: ${output.failure.error}`);
}
