import { BackendError } from '@dispatch/core/driver';
import type { ProgressListener } from '@dispatch/core/driver';
import type Dockerode from 'dockerode';
import { engineError } from './engine-errors.js';

/**
 * Pulls an image, following the engine's progress stream to its end: a pull fails inside the stream (an
 * `error` message after a 200). Progress lines are the engine's `status` and `progress`.
 */
export async function pullImage(docker: Dockerode, imageURL: string, prefix: string, onProgress?: ProgressListener): Promise<void> {
  const what = `pulling image "${imageURL}"`;
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(imageURL)) as NodeJS.ReadableStream;
  } catch (error) {
    throw engineError(prefix, docker, what, error);
  }
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (error: Error | null, messages: Array<{ error?: string }> | undefined) => {
        const failed = messages?.find((message) => message.error !== undefined);
        if (error || failed) reject(new BackendError(`[${prefix}] ${what} failed: ${error?.message ?? failed?.error}`));
        else resolve();
      },
      (event: { status?: string; progress?: string }) => onProgress?.([event.status, event.progress].filter(Boolean).join(' ')),
    ),
  );
}
