import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { packSource } from '@dispatch/core/source';
import { createDockerImageBuilder, registryFromEnv } from '@dispatch/docker-builder';
import type { DockerImageBuilder } from '@dispatch/docker-builder';
import { removeTestImages } from '@dispatch/driver-testkit';

/** A name unique to this test run, so that runs never share services or images. */
export const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`.slice(-10);

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

export function packTestFixture(name: string): Promise<Buffer> {
  return packSource(fixtureDir(name));
}

/** The language images that base images start from: nothing can be pulled here, so the local stand-ins. */
export function localNodeImage(): string {
  return process.env.DISPATCH_NODE_IMAGE ?? process.env.DISPATCH_LOCAL_NODE_IMAGE ?? 'dispatch-local/node:20';
}

export function localPythonImage(): string {
  return process.env.DISPATCH_PYTHON_IMAGE ?? process.env.DISPATCH_LOCAL_PYTHON_IMAGE ?? 'dispatch-local/python:3.11';
}

/** The builder of the tests; with DISPATCH_REGISTRY_URL set (a swarm of two nodes), it pushes images there. */
export function testBuilder(docker: Dockerode): DockerImageBuilder {
  const registry = registryFromEnv();
  return createDockerImageBuilder({
    docker,
    errorPrefix: 'swarm',
    baseImageArgs: { NODE_IMAGE: localNodeImage(), PYTHON_IMAGE: localPythonImage() },
    ...(registry ? { registry } : {}),
  });
}

/** Builds the one-shot plain funker image (a Node `net` server that answers one call and exits). */
export async function buildOneShotImage(docker: Dockerode, tag: string): Promise<string> {
  const stream = await docker.buildImage(
    { context: fixtureDir('funker-oneshot'), src: ['Dockerfile', 'handler.js'] },
    { t: tag, buildargs: { NODE_IMAGE: localNodeImage() }, forcerm: true },
  );
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
      const failed = output.find((message) => message.error !== undefined);
      if (error || failed) reject(error ?? new Error(failed?.error));
      else resolve();
    }),
  );
  return tag;
}

/** Removes every image whose reference starts with one of the prefixes (test images of this run). */
export function removeImages(docker: Dockerode, prefixes: string[]): Promise<void> {
  return removeTestImages(prefixes, docker);
}

/**
 * Builds a one-binary image (FROM scratch, a static C program that waits for SIGTERM, compiled with the machine's
 * gcc): under a megabyte to push, where a Node image takes half a minute on these machines.
 */
export async function buildIdleImage(docker: Dockerode, tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dispatch-idle-'));
  try {
    await promisify(execFile)('gcc', ['-static', '-Os', '-o', join(dir, 'idle'), join(fixtureDir('idle'), 'idle.c')]);
    await copyFile(join(fixtureDir('idle'), 'Dockerfile'), join(dir, 'Dockerfile'));
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'idle'] }, { t: tag, forcerm: true });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
        const failed = output.find((message) => message.error !== undefined);
        if (error || failed) reject(error ?? new Error(failed?.error));
        else resolve();
      }),
    );
    return tag;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
