import type Dockerode from 'dockerode';

/** The engine's login for a test registry (an anonymous push or pull still needs the header). */
export function authFor(address: string, login: { username?: string; password?: string }): Dockerode.AuthConfig {
  return { username: login.username ?? '', password: login.password ?? '', serveraddress: address };
}

/** Reads an engine progress stream to its end; rejects with the stream's error message. */
export async function follow(docker: Dockerode, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((message) => message.error !== undefined);
      if (error) reject(error);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}

/** Pushes a local image (the language stand-ins: nothing can be pulled here) to a test registry as `target`. */
export async function pushLocalImage(docker: Dockerode, local: string, target: string, auth: Dockerode.AuthConfig): Promise<void> {
  const colon = target.lastIndexOf(':');
  await docker.getImage(local).tag({ repo: target.slice(0, colon), tag: target.slice(colon + 1) });
  try {
    await follow(docker, await docker.getImage(target).push({ authconfig: auth }));
  } finally {
    await docker.getImage(target).remove().catch(() => undefined);
  }
}
