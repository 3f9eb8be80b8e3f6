import { describe, expect, it } from 'vitest';
import { formatImageReference, parseImageReference } from './image-reference.js';
import { readChallenge } from './registry-auth.js';

describe('image references', () => {
  it('reads Docker Hub names as Docker does', () => {
    expect(parseImageReference('node:22-bookworm-slim')).toEqual({
      registry: 'registry-1.docker.io',
      repository: 'library/node',
      tag: '22-bookworm-slim',
    });
    expect(parseImageReference('docker.io/bitnami/redis')).toEqual({
      registry: 'registry-1.docker.io',
      repository: 'bitnami/redis',
      tag: 'latest',
    });
  });

  it('reads a registry with a port, a tag and a digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference(`127.0.0.1:5000/dispatch/fn-hello:r1@${digest}`)).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'dispatch/fn-hello',
      tag: 'r1',
      digest,
    });
    expect(formatImageReference(parseImageReference(`localhost/a/b@${digest}`))).toBe(`localhost/a/b@${digest}`);
  });

  it('refuses references that are not image names', () => {
    expect(() => parseImageReference('Upper/Case')).toThrow('is not a valid repository name');
    expect(() => parseImageReference('ghcr.io/a/b@sha256:123')).toThrow('is not a sha256 digest');
  });
});

describe('registry challenges', () => {
  it('reads the realm and service of a Bearer challenge', () => {
    expect(
      readChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull"'),
    ).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
    });
    expect(readChallenge('Basic realm="dispatch-test"')).toEqual({ scheme: 'basic' });
    expect(readChallenge(null)).toBeUndefined();
  });
});
