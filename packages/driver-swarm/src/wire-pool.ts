import { WireConnectError, WireConnection } from '@dispatch/core/driver';

/** How often idle connections are pinged, and how long a pong may take before the connection is dropped. */
const PING_EVERY_MS = 10_000;
const PONG_WITHIN_MS = 5_000;
/**
 * How long a new connection's first pong may take. A function image built before the wire protocol existed
 * waits for a funker request to end instead of answering: its task is called over funker from then on.
 */
const HELLO_WITHIN_MS = 1_500;
/** How long a task found to speak funker only is remembered as such (an update may bring a newer image). */
const FUNKER_ONLY_FOR_MS = 60_000;

export interface WirePoolOptions {
  port: number;
  keepAliveMs: number;
}

/**
 * The long-lived wire connections of the swarm backend: one per task of a function of Dispatch's runtimes, opened
 * on the first call and kept. A connection that closes is dropped and opened again by the next call; an idle one
 * is pinged, since an overlay network drops a removed container's connections without a reset. A connection
 * with calls in flight is not pinged: a handler in a synchronous loop holds the pong back, and the call's own
 * deadline and the task liveness watch cover it.
 */
export class WirePool {
  private readonly connections = new Map<string, WireConnection | Promise<WireConnection | undefined>>();
  private readonly funkerOnly = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: WirePoolOptions) {
    this.timer = setInterval(() => this.pingIdle(), PING_EVERY_MS);
    this.timer.unref();
  }

  /**
   * The connection to the task at `host`: synchronous when open, as on most calls. Undefined when the task speaks
   * funker only. Rejects with WireConnectError when nothing answers (the call was not sent anywhere).
   */
  connection(host: string): WireConnection | undefined | Promise<WireConnection | undefined> {
    const known = this.connections.get(host);
    if (known instanceof WireConnection && known.open) return known;
    if (known !== undefined && !(known instanceof WireConnection)) return known;
    const until = this.funkerOnly.get(host);
    if (until !== undefined) {
      if (until > Date.now()) return undefined;
      this.funkerOnly.delete(host);
    }
    const opening = this.open(host);
    this.connections.set(host, opening);
    return opening;
  }

  /** Closes the connection to a task known to be gone (its connection would otherwise wait for a ping to fail). */
  drop(host: string): void {
    const entry = this.connections.get(host);
    this.connections.delete(host);
    if (entry instanceof WireConnection) entry.close();
  }

  /**
   * Closes the connection to a task no longer among its service's addresses, unless calls are in flight on it (the
   * liveness watch ends those). An overlay network does not reset a removed container's connections: kept, it
   * would take the calls of a new task that gets the same address.
   */
  dropIdle(host: string): void {
    const entry = this.connections.get(host);
    if (entry instanceof WireConnection && entry.inflight === 0) this.drop(host);
  }

  /** Closes every connection (the driver is disposed). */
  close(): void {
    clearInterval(this.timer);
    for (const entry of this.connections.values()) {
      if (entry instanceof WireConnection) entry.close();
      else
        void entry.then(
          (connection) => connection?.close(),
          () => undefined,
        );
    }
    this.connections.clear();
  }

  private async open(host: string): Promise<WireConnection | undefined> {
    let connection: WireConnection;
    try {
      connection = await WireConnection.connect({ host, port: this.options.port }, { keepAliveMs: this.options.keepAliveMs });
    } catch (error) {
      this.connections.delete(host);
      throw error;
    }
    try {
      await connection.ping(HELLO_WITHIN_MS);
    } catch (error) {
      this.connections.delete(host);
      connection.close();
      const errno = (error as { errno?: string }).errno ?? 'ECONNRESET';
      // Closed before the pong: nothing was sent on it yet, so the call may go elsewhere.
      if (errno !== 'EPINGTIMEOUT') throw new WireConnectError(connection.target, errno, { cause: error });
      // Connected, but no pong: an older function server, which speaks funker only.
      this.funkerOnly.set(host, Date.now() + FUNKER_ONLY_FOR_MS);
      return undefined;
    }
    this.connections.set(host, connection);
    connection.onClosed(() => {
      if (this.connections.get(host) === connection) this.connections.delete(host);
    });
    return connection;
  }

  private pingIdle(): void {
    for (const entry of this.connections.values()) {
      if (entry instanceof WireConnection && entry.open && entry.inflight === 0) {
        // A ping that times out closes the connection, which drops it from the pool.
        entry.ping(PONG_WITHIN_MS).catch(() => undefined);
      }
    }
  }
}
