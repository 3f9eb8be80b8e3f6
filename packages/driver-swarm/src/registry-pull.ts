import type Dockerode from 'dockerode';
import { RegistryClient, parseImageReference, registryAddress } from '@dispatch/registry-builder';
import type { RegistrySettings } from '@dispatch/registry-builder';

/** How the nodes of the Swarm pull functions' images from the configured registry. */
export interface RegistryPull {
  /**
   * The `X-Registry-Auth` to create or update a service running `image` with: the registry's login when the image
   * lives in that registry and a login is configured. Swarm keeps it with the service, so that every node pulls
   * with it (a worker node is not logged in anywhere); undefined otherwise.
   */
  authFor(image: string): Dockerode.AuthConfig | undefined;
  /**
   * Why a node found no image `image` (a task rejected with "No such image"): the node's pull error stays in that
   * node's log, so the registry is asked the same question with the same login. Undefined when the image is not
   * in the configured registry, or the registry has it and lets the login read it.
   */
  explainMissing(image: string): Promise<string | undefined>;
}

/** How long an answer of `explainMissing` is kept: status is polled, the registry is asked once in a while. */
const EXPLAIN_TTL_MS = 10_000;

export function createRegistryPull(registry: RegistrySettings | undefined): RegistryPull {
  if (registry === undefined) return { authFor: () => undefined, explainMissing: () => Promise.resolve(undefined) };
  const { host, insecure } = registryAddress(registry);
  const credentials = { username: registry.username ?? '', password: registry.password ?? '' };
  const loggedIn = credentials.username !== '' || credentials.password !== '';
  // Unless told, loopback is plain HTTP (as for a Docker engine) and any other registry HTTPS.
  const client = new RegistryClient({ registry: host, credentials, ...(insecure ? { insecure } : {}), errorPrefix: 'swarm' });
  const explained = new Map<string, { at: number; answer: Promise<string | undefined> }>();

  const inRegistry = (image: string): ReturnType<typeof parseImageReference> | undefined => {
    try {
      const ref = parseImageReference(image);
      return ref.registry === host ? ref : undefined;
    } catch {
      return undefined;
    }
  };

  async function ask(image: string): Promise<string | undefined> {
    const ref = inRegistry(image);
    if (ref === undefined) return undefined;
    try {
      await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
      return undefined;
    } catch (error) {
      return (error as Error).message.replace(/^\[swarm\] /, '');
    }
  }

  return {
    authFor(image) {
      if (!loggedIn || inRegistry(image) === undefined) return undefined;
      return { ...credentials, serveraddress: host };
    },

    explainMissing(image) {
      const now = Date.now();
      for (const [key, entry] of explained) if (now - entry.at > EXPLAIN_TTL_MS) explained.delete(key);
      let entry = explained.get(image);
      if (entry === undefined) {
        entry = { at: now, answer: ask(image) };
        explained.set(image, entry);
      }
      return entry.answer;
    },
  };
}
