import { parse as parseAuthHeader } from 'auth-header';
import { BackendError } from '@dispatch/core/driver';

/** A registry login; both empty or absent means anonymous. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
}

/** A `WWW-Authenticate` challenge, as a registry answers a 401. */
export interface AuthChallenge {
  scheme: 'basic' | 'bearer';
  /** Bearer: the token service's URL, and the `service` it expects. */
  realm?: string;
  service?: string;
}

/** Reads the challenge of a 401; undefined when the registry sent none this client knows. */
export function readChallenge(header: string | null): AuthChallenge | undefined {
  if (header === null || header.trim() === '') return undefined;
  let parsed: ReturnType<typeof parseAuthHeader>;
  try {
    parsed = parseAuthHeader(header);
  } catch {
    return undefined;
  }
  const scheme = parsed.scheme.toLowerCase();
  const param = (name: string): string | undefined => {
    const value = parsed.params[name];
    return Array.isArray(value) ? value[0] : value;
  };
  if (scheme === 'basic') return { scheme: 'basic' };
  if (scheme !== 'bearer') return undefined;
  const realm = param('realm');
  const service = param('service');
  return { scheme: 'bearer', ...(realm === undefined ? {} : { realm }), ...(service === undefined ? {} : { service }) };
}

export function basicAuthorization(credentials: RegistryCredentials): string | undefined {
  if (!credentials.username && !credentials.password) return undefined;
  return `Basic ${Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64')}`;
}

/**
 * The token dance of a Bearer challenge (the distribution spec's token authentication): asks the realm for a
 * token covering `scopes` (`repository:<name>:pull,push`), with the login as Basic credentials when there is one,
 * anonymously otherwise. Resolves with the `Authorization` header value.
 */
export async function fetchBearerToken(
  challenge: AuthChallenge,
  scopes: readonly string[],
  credentials: RegistryCredentials,
  prefix: string,
): Promise<string> {
  if (challenge.realm === undefined)
    throw new BackendError(`[${prefix}] the registry asked for a Bearer token but named no realm to get it from`);
  const url = new URL(challenge.realm);
  if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = { accept: 'application/json' };
  const basic = basicAuthorization(credentials);
  if (basic !== undefined) headers.authorization = basic;
  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch (error) {
    throw new BackendError(`[${prefix}] the registry's token service ${url.origin} is unreachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw new BackendError(
      `[${prefix}] the registry's token service refused the credentials${basic === undefined ? ' (none were given)' : ''} (HTTP ${response.status})`,
    );
  }
  if (!response.ok) {
    throw new BackendError(
      `[${prefix}] the registry's token service answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`,
    );
  }
  const body = (await response.json()) as { token?: unknown; access_token?: unknown };
  const token = typeof body.token === 'string' ? body.token : body.access_token;
  if (typeof token !== 'string' || token === '')
    throw new BackendError(`[${prefix}] the registry's token service answered without a token`);
  return `Bearer ${token}`;
}
