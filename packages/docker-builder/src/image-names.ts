import { createHash } from 'node:crypto';

/** Where built images are named: `dispatch/` locally, `<url>/<repository>/` with a registry. */
export function imagePrefix(registry: { url: string; repository: string } | undefined): string {
  if (registry === undefined) return 'dispatch/';
  const url = registry.url.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  const repository = registry.repository.replace(/^\/+|\/+$/g, '');
  return repository === '' ? `${url}/` : `${url}/${repository}/`;
}

/** A short hex digest of the parts, to tell apart builds with different inputs. */
export function contentHash(...parts: ReadonlyArray<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(String(part.length));
    hash.update(':');
    hash.update(part);
  }
  return hash.digest('hex').slice(0, 12);
}

/** The registry host of an image reference (`host:5000/a/b:1` → `host:5000`), or undefined for Docker Hub names. */
export function registryHost(ref: string): string | undefined {
  const first = ref.split('/')[0] ?? '';
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : undefined;
}
