import { readFile } from 'node:fs/promises';
import type { Language } from '@dispatch/core/driver';
import { functionServerPath } from '@dispatch/runtimes';
import type { LayerEntry } from './image-layer.js';
import type { ImageConfig } from './image-manifest.js';

/** What a Dispatch base image adds to a language image: the function server, its env and its user. */
export interface RuntimeLayer {
  entries: LayerEntry[];
  env: Record<string, string>;
  labels: Record<string, string>;
  container: Partial<NonNullable<ImageConfig['config']>>;
}

/** The user functions run as: numeric, so that Kubernetes' runAsNonRoot can verify it without /etc/passwd. */
const FUNCTION_USER = '10001:10001';

/**
 * The same base image as the runtimes' Dockerfiles (nodejs.Dockerfile, python3.Dockerfile) describe, as one
 * layer and config fields, so it can be assembled in a registry from any Debian-based language image.
 */
export async function runtimeLayer(language: Language, languageImage: string, version: string): Promise<RuntimeLayer> {
  const server = language === 'nodejs' ? 'server.cjs' : 'server.py';
  const interpreter = language === 'nodejs' ? 'node' : 'python3';
  const entries: LayerEntry[] = [
    { path: 'dispatch', type: 'directory' },
    { path: `dispatch/${server}`, type: 'file', content: await readFile(functionServerPath(language)) },
    { path: 'dispatch/server', type: 'file', content: `#!/bin/sh\nexec ${interpreter} /dispatch/${server} "$@"\n`, executable: true },
    { path: 'function', type: 'directory' },
  ];
  const env: Record<string, string> = {
    DISPATCH_FUNCTION_DIR: '/function',
    DISPATCH_MODE: 'funker',
    DISPATCH_FUNKER_PORT: '9999',
    PORT: '8080',
  };
  if (language === 'nodejs') env.NODE_ENV = 'production';
  else {
    entries.push({ path: 'dispatch/site-packages', type: 'directory' });
    env.PYTHONPATH = '/dispatch/site-packages';
    env.PYTHONUNBUFFERED = '1';
  }
  return {
    entries,
    env,
    labels: {
      'org.opencontainers.image.title': `dispatch/${language}-base`,
      'org.opencontainers.image.vendor': 'Dispatch',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.base.name': languageImage,
      'dispatch.language': language,
      'dispatch.server': `/dispatch/${server}`,
    },
    container: {
      User: FUNCTION_USER,
      WorkingDir: '/function',
      Cmd: [interpreter, `/dispatch/${server}`],
      ExposedPorts: { '9999/tcp': {}, '8080/tcp': {} },
    },
  };
}
