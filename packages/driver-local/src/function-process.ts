// Somewhat over 300 lines: a process's start (plain or as a spare), status lines, connection and exit are one
// state machine, easier to check in one place.
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { WireConnection } from '@dispatch/core/driver';
import { RUNTIME_LOAD_FAILED_EXIT_CODE, parseRuntimeStatus } from '@dispatch/runtimes';
import { trackChild } from './child-registry.js';
import { readBoundedLines } from './line-reader.js';
import type { LaunchSpec } from './launch-spec.js';
import { ended, spawnServer } from './spawn-server.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Why a process never became ready. `load`: the handler failed to load (the server said so, or exited
 * with code 3), which a restart cannot fix. `crash`: it exited for another reason. `timeout`: it did not
 * report ready in time.
 */
export class StartFailure extends Error {
  constructor(
    readonly kind: 'load' | 'crash' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'StartFailure';
  }
}

export type ProcessState = 'starting' | 'ready' | 'stopping' | 'exited';

const STDERR_TAIL_LINES = 20;

export interface FunctionProcessOptions {
  launch: LaunchSpec;
  startTimeoutMs: number;
  /** A line the process printed outside any call (calls' own logs come back in their envelopes). */
  onLine: LineListener;
  /** Start as a spare (DISPATCH_SPARE=1 in `launch`): `waiting` resolves when it waits for `specialise`. */
  spare?: boolean;
}

export type LineListener = (process: FunctionProcess, stream: 'stdout' | 'stderr', line: string) => void;

/** What turns a spare into one function's process: its environment as set and unset over the spare's own. */
export interface SpareControl {
  env: Record<string, string>;
  unset: string[];
}

/** Numbers the sockets of the processes this gateway starts, so that a restarted process never meets an old file. */
let socketSequence = 0;

/**
 * One function server child process: it reports ready on the status fd (3), serves calls on a Unix socket of
 * its own, over one long-lived wire connection the driver keeps to it, and is stopped with SIGTERM then
 * SIGKILL. The pool decides what to do when it exits.
 */
export class FunctionProcess {
  state: ProcessState = 'starting';
  port = 0;
  /** Calls sent to this process that have not finished; the pool prefers the least busy process. */
  inflight = 0;
  /** Set by the pool when the process is being replaced: it takes no new calls. */
  retired = false;
  readyAt = 0;
  exit: ProcessExit | undefined;
  /** Names the process in log lines. */
  readonly source: string;
  /** The Unix socket the server listens on, as the driver reaches it. */
  readonly socketPath: string;
  /** Resolves when the server reports ready; rejects with a StartFailure. */
  readonly started: Promise<void>;
  readonly exited: Promise<ProcessExit>;
  /** Resolves when everything the process printed has been read (its stdout and stderr ended). */
  readonly drained: Promise<void>;
  /** A spare: resolves when it waits for its function (never, if it exits first). */
  readonly waiting: Promise<void>;
  /** Where lines printed outside calls go: a spare's change when it is given to a function. */
  onLine: LineListener;

  private readonly child: ChildProcess;
  private readonly stderrTail: string[] = [];
  private loadError: string | undefined;
  private spawnError: Error | undefined;
  private resolveStarted!: () => void;
  private rejectStarted!: (failure: StartFailure) => void;
  private resolveExited!: (exit: ProcessExit) => void;
  private resolveWaiting!: () => void;
  private startTimer: NodeJS.Timeout | undefined;
  private connection: WireConnection | undefined;
  private connecting: Promise<WireConnection> | undefined;
  private specialised = false;

  constructor(private readonly options: FunctionProcessOptions) {
    this.started = new Promise<void>((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    // The pool may never look at `started` (a process retired while starting); avoid an unhandled rejection.
    this.started.catch(() => undefined);
    this.exited = new Promise<ProcessExit>((resolve) => {
      this.resolveExited = resolve;
    });
    this.waiting = new Promise<void>((resolve) => {
      this.resolveWaiting = resolve;
    });
    this.onLine = options.onLine;

    const socketName = `${++socketSequence}.sock`;
    this.socketPath = join(options.launch.socketDir.host, socketName);
    this.child = spawnServer(options.launch, `${options.launch.socketDir.seen}/${socketName}`);
    this.child.stdin?.on('error', () => undefined);
    this.source = this.child.pid === undefined ? 'unstarted' : String(this.child.pid);
    trackChild(this.child);

    this.child.once('error', (error) => {
      // Only a failed spawn (missing binary) leaves us without an 'exit' event.
      if (this.child.pid === undefined) {
        this.spawnError = error;
        this.onExit(null, null);
      }
    });
    this.child.once('exit', (code, signal) => this.onExit(code, signal));
    this.readLines(this.child.stdout, 'stdout');
    this.readLines(this.child.stderr, 'stderr');
    this.drained = Promise.all([this.child.stdout, this.child.stderr].map(ended)).then(() => undefined);
    this.readStatus(this.child.stdio[3] as Readable | null);
    this.armStartTimer();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
  stop(graceMs: number): Promise<ProcessExit> {
    if (this.exit !== undefined) return this.exited;
    if (this.state !== 'stopping') {
      this.state = 'stopping';
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.kill(), graceMs);
      timer.unref();
      void this.exited.then(() => clearTimeout(timer));
    }
    return this.exited;
  }

  /**
   * The connection calls travel on: opened on first use and again after it closed (the process is then usually
   * gone too, and the connect fails with a WireConnectError). Synchronous when it is open, as on most calls.
   */
  connect(maxReplyBytes: number): WireConnection | Promise<WireConnection> {
    if (this.connection?.open) return this.connection;
    this.connecting ??= WireConnection.connect({ path: this.socketPath }, { maxReplyBytes }).then(
      (connection) => {
        this.connecting = undefined;
        this.connection = connection;
        // The server's end closes when the process exits; ours must not outlive it either.
        if (this.exit !== undefined) connection.close();
        return connection;
      },
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  /**
   * Gives a spare its function: the environment goes over its stdin (never a command line), then it loads the
   * handler and reports ready as any process does, within the start timeout from now.
   */
  specialise(control: SpareControl): void {
    this.specialised = true;
    this.child.stdin?.write(`${JSON.stringify(control)}\n`);
    this.armStartTimer();
  }

  /** Ends a start that cannot go on (a spare whose function's files could not be given to it). */
  abortStart(message: string): void {
    this.failStart(new StartFailure('crash', message));
    this.kill();
  }

  /** Kills the process at once: for a server stuck in a synchronous loop, which cannot answer SIGTERM. */
  kill(): void {
    this.signal('SIGKILL');
  }

  /** How the process ended, in words: `exit code 1`, `signal SIGKILL`. */
  describeExit(): string {
    return describeExit(this.exit);
  }

  /** The last line the process printed on stderr, to explain a crash. */
  lastStderrLine(): string | undefined {
    return this.stderrTail[this.stderrTail.length - 1];
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exit !== undefined || this.child.pid === undefined) return;
    try {
      this.child.kill(signal);
    } catch {
      // It exited between the check and the kill.
    }
  }

  private readLines(stream: Readable | null, name: 'stdout' | 'stderr'): void {
    if (stream === null) return;
    readBoundedLines(stream, (line) => {
      if (name === 'stderr') {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      }
      this.onLine(this, name, line);
    });
  }

  private readStatus(stream: Readable | null): void {
    if (stream === null) return;
    let text = '';
    let done = false;
    stream.setEncoding('utf8');
    stream.on('error', () => undefined);
    stream.on('data', (chunk: string) => {
      if (done) return;
      text += chunk;
      // A spare writes two lines (`spare`, then `ready` or `error`); any other server one.
      for (let newline = text.indexOf('\n'); newline >= 0 && !done; newline = text.indexOf('\n')) {
        const line = text.slice(0, newline);
        text = text.slice(newline + 1);
        done = this.onStatus(line);
      }
    });
  }

  /** Handles one status line; true when no other may follow. */
  private onStatus(line: string): boolean {
    const status = parseRuntimeStatus(line);
    if (status === undefined) {
      this.failStart(new StartFailure('crash', `the function server wrote a status line Dispatch cannot read: ${line.slice(0, 200)}`));
      this.kill();
      return true;
    }
    if (status.status === 'spare') {
      if (this.options.spare !== true) return false;
      // A spare given its function before it said it waits keeps the start timeout of its specialisation.
      if (!this.specialised) clearTimeout(this.startTimer);
      this.resolveWaiting();
      return false;
    }
    if (status.status === 'ready') {
      if (this.state !== 'starting') return true;
      this.port = status.port;
      this.state = 'ready';
      this.readyAt = Date.now();
      clearTimeout(this.startTimer);
      this.resolveStarted();
      return true;
    }
    this.loadError = status.message || 'the handler failed to load';
    this.failStart(new StartFailure('load', this.loadError));
    return true;
  }

  private armStartTimer(): void {
    clearTimeout(this.startTimer);
    const { startTimeoutMs } = this.options;
    this.startTimer = setTimeout(() => {
      if (this.state !== 'starting') return;
      this.failStart(new StartFailure('timeout', `the function server did not report ready within ${startTimeoutMs} ms`));
      this.kill();
    }, startTimeoutMs);
    this.startTimer.unref();
  }

  private failStart(failure: StartFailure): void {
    if (this.state !== 'starting') return;
    this.state = 'stopping';
    clearTimeout(this.startTimer);
    this.rejectStarted(failure);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exit !== undefined) return;
    this.exit = { code, signal };
    clearTimeout(this.startTimer);
    this.connection?.close();
    if (this.state === 'starting') this.failStart(this.startFailureFromExit(code));
    this.state = 'exited';
    this.resolveExited(this.exit);
  }

  private startFailureFromExit(code: number | null): StartFailure {
    if (this.spawnError !== undefined) {
      return new StartFailure('load', `cannot start the function server "${this.options.launch.command}": ${this.spawnError.message}`);
    }
    const last = this.lastStderrLine();
    if (code === RUNTIME_LOAD_FAILED_EXIT_CODE) {
      return new StartFailure('load', this.loadError ?? last ?? 'the handler failed to load');
    }
    const said = last === undefined ? '' : `: ${last}`;
    return new StartFailure('crash', `the function server exited while starting (${describeExit(this.exit)})${said}`);
  }
}

/** `exit code 1`, `signal SIGKILL`. */
export function describeExit(exit: ProcessExit | undefined): string {
  if (exit === undefined) return 'still running';
  if (exit.signal !== null) return `signal ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}
