import Docker from 'dockerode';
import type { TestRegistry } from './registry.js';

/** The engine's login for a test registry (an anonymous push or pull still needs the header). */
export function registryAuthConfig(registry: TestRegistry): Docker.AuthConfig {
  return { username: registry.username ?? '', password: registry.password ?? '', serveraddress: registry.address };
}

/** Reads an engine progress stream (pull, push) to its end; rejects with the stream's error message. */
export async function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((message) => message.error !== undefined);
      if (error) reject(error);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}

/** The language stand-ins (nothing can be pulled here): `DISPATCH_NODE_IMAGE` / `_PYTHON_IMAGE`, else the local ones. */
export function localLanguageImages(env: NodeJS.ProcessEnv = process.env): { nodejs: string; python3: string } {
  return {
    nodejs: env.DISPATCH_NODE_IMAGE ?? env.DISPATCH_LOCAL_NODE_IMAGE ?? 'dispatch-local/node:20',
    python3: env.DISPATCH_PYTHON_IMAGE ?? env.DISPATCH_LOCAL_PYTHON_IMAGE ?? 'dispatch-local/python:3.11',
  };
}

/**
 * Puts the language images into a test registry (`<address>/lang/node:20`, `<address>/lang/python:3`), pushed
 * from the engine's local stand-ins, as a user's registry would hold the official images. Resolves with their names.
 */
export async function pushLanguageImages(registry: TestRegistry, docker = new Docker()): Promise<{ nodejs: string; python3: string }> {
  const local = localLanguageImages();
  const targets = { nodejs: `${registry.address}/lang/node:20`, python3: `${registry.address}/lang/python:3` };
  for (const language of ['nodejs', 'python3'] as const) {
    const target = targets[language];
    const colon = target.lastIndexOf(':');
    await docker.getImage(local[language]).tag({ repo: target.slice(0, colon), tag: target.slice(colon + 1) });
    try {
      await followProgress(docker, await docker.getImage(target).push({ authconfig: registryAuthConfig(registry) }));
    } finally {
      // Only the registry keeps them: the engine's copy is just the stand-in's second name.
      await docker
        .getImage(target)
        .remove()
        .catch(() => undefined);
    }
  }
  return targets;
}
