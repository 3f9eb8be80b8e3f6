import { request } from 'node:http';

/** Where the Docker engine listens: `DOCKER_HOST` (unix:// only here) or the default socket. */
export function dockerSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}

/** Answers the engine's `/_ping` within a second: true when a Docker engine is there to test against. */
export function dockerEngineAnswers(socketPath = dockerSocketPath()): Promise<boolean> {
  return new Promise((resolve) => {
    const ping = request({ socketPath, path: '/_ping', timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    ping.on('timeout', () => ping.destroy());
    ping.on('error', () => resolve(false));
    ping.end();
  });
}

/** True when the engine is a Swarm manager (`docker swarm init` was run). */
export function dockerSwarmActive(socketPath = dockerSocketPath()): Promise<boolean> {
  return new Promise((resolve) => {
    const info = request({ socketPath, path: '/info', timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          const swarm = (JSON.parse(body) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } }).Swarm;
          resolve(swarm?.LocalNodeState === 'active' && swarm.ControlAvailable === true);
        } catch {
          resolve(false);
        }
      });
    });
    info.on('timeout', () => info.destroy());
    info.on('error', () => resolve(false));
    info.end();
  });
}

/**
 * Whether tests that need `engine` should run. Absent engine: skip with a clear message on a developer's
 * machine, but fail in CI (`CI=true`), where .ci/run installs and starts every engine the tests need.
 */
export async function requireEngine(engine: 'docker' | 'swarm'): Promise<boolean> {
  const available = engine === 'docker' ? await dockerEngineAnswers() : await dockerSwarmActive();
  if (available) return true;
  const how = 'run scripts/docker/ensure-engine.sh (it installs Docker, starts it and initialises Swarm)';
  if (process.env.CI === 'true')
    throw new Error(`these tests need ${engine === 'docker' ? 'a Docker engine' : 'Docker in Swarm mode'} and CI must provide it: ${how}`);
  console.warn(`skipping: no ${engine === 'docker' ? 'Docker engine' : 'Docker Swarm'} here; ${how}`);
  return false;
}
