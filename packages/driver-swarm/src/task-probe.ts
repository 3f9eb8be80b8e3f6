import { createConnection } from 'node:net';
import type { TaskInfo } from './service-status.js';

/**
 * True when something accepts a TCP connection at host:port within `timeoutMs`. The function server listens
 * only once its handler has loaded, so an accepted connection means a call would be served; no request is sent,
 * because any request would run user code.
 */
export function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A task's address on a network (`10.0.1.5` from `10.0.1.5/24`), if it is attached to it. */
export function taskAddress(task: TaskInfo, networkId: string, networkName: string): string | undefined {
  for (const attachment of task.NetworksAttachments ?? []) {
    if (attachment.Network?.ID !== networkId && attachment.Network?.Spec?.Name !== networkName) continue;
    const cidr = attachment.Addresses?.[0];
    if (cidr !== undefined) return cidr.split('/')[0];
  }
  return undefined;
}
