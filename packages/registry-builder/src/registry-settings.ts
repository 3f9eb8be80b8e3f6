import { InvalidInputError, secretFromEnv } from '@dispatch/core/driver';

/** A registry that images are written to (and pulled from by the backend's nodes). */
export interface RegistrySettings {
  /** `host[:port]` (an `http://` or `https://` scheme is allowed; `http://` means plain HTTP). */
  url: string;
  /** The path images are named under, e.g. `dispatch` → `<url>/dispatch/fn-hello`. */
  repository: string;
  username?: string;
  password?: string;
  /**
   * The registry speaks plain HTTP (or has a self-signed certificate). A Docker engine decides this by itself:
   * list the registry in the daemon's `insecure-registries` too.
   */
  insecure?: boolean;
}

/**
 * The registry images go to, from the environment (the seed's registry settings): `DISPATCH_REGISTRY_URL`,
 * `_REPOSITORY`, `_USERNAME`, `_PASSWORD` (or `_PASSWORD_FILE`, a file holding it, e.g. a Docker secret), `_INSECURE`
 * (`true`). Undefined without a URL.
 */
export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): RegistrySettings | undefined {
  if (!env.DISPATCH_REGISTRY_URL) return undefined;
  const password = secretFromEnv(env, 'DISPATCH_REGISTRY_PASSWORD');
  return {
    url: env.DISPATCH_REGISTRY_URL,
    repository: env.DISPATCH_REGISTRY_REPOSITORY ?? '',
    ...(env.DISPATCH_REGISTRY_USERNAME ? { username: env.DISPATCH_REGISTRY_USERNAME } : {}),
    ...(password ? { password } : {}),
    insecure: env.DISPATCH_REGISTRY_INSECURE === 'true',
  };
}

/** `host[:port]` of the settings' URL, and whether it is plain HTTP. */
export function registryAddress(settings: RegistrySettings): { host: string; insecure: boolean } {
  const match = /^(?:([a-z]+):\/\/)?([^/]+)\/*$/.exec(settings.url.trim());
  if (match === null) throw new InvalidInputError(`registry URL "${settings.url}" is not host[:port] or a URL of one`);
  return { host: match[2] as string, insecure: settings.insecure === true || match[1] === 'http' };
}

/** Where built images are named: `<host>/<repository>/`. */
export function registryPrefix(settings: RegistrySettings): string {
  const repository = settings.repository.replace(/^\/+|\/+$/g, '');
  const { host } = registryAddress(settings);
  return repository === '' ? `${host}/` : `${host}/${repository}/`;
}
