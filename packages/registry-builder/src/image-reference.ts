import { InvalidInputError } from '@dispatch/core/driver';

/** An image reference taken apart: `registry/repository[:tag][@digest]`. */
export interface ImageReference {
  /** `host[:port]`; Docker Hub's names resolve to `registry-1.docker.io`. */
  registry: string;
  /** The repository path, e.g. `library/node` or `dispatch/fn-hello`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'registry-1.docker.io';
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Parses an image reference as Docker does: a first part with a `.` or `:` (or `localhost`) names the registry,
 * otherwise it is Docker Hub (`node` → `library/node`). A reference with neither tag nor digest means `latest`.
 */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref.trim().replace(/^[a-z]+:\/\//, '');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidInputError(`image reference "${ref}": "${digest}" is not a sha256 digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidInputError(`image reference "${ref}": "${tag}" is not a valid tag`);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  let registry = DOCKER_HUB;
  let repository = rest;
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    registry = first === 'docker.io' || first === 'index.docker.io' ? DOCKER_HUB : first;
    repository = rest.slice(slash + 1);
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) throw new InvalidInputError(`image reference "${ref}": "${repository}" is not a valid repository name`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The reference as a string; a digest wins over a tag (the digest is what names the content). */
export function formatImageReference(ref: ImageReference): string {
  const name = `${ref.registry}/${ref.repository}`;
  if (ref.digest !== undefined) return `${name}@${ref.digest}`;
  return `${name}:${ref.tag ?? 'latest'}`;
}
