import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooksInstalled = false;
/** Signals that end a Node process by default, without an 'exit' event. */
const FATAL_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * Remembers a child so that it is killed when this process exits, even without `dispose()`: a gateway that
 * exits must not leave function servers or builds running on the machine. (A SIGKILL of this process
 * cannot be caught: only the children themselves could notice that.)
 */
export function trackChild(child: ChildProcess): void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.on('exit', killAllChildren);
    for (const signal of FATAL_SIGNALS) process.on(signal, onFatalSignal);
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => {
    if (child.pid === undefined) live.delete(child);
  });
}

/**
 * An application that handles the signal itself shuts down its own way (and ends with 'exit'). When this is
 * the only listener, keep the default: kill the children, then die of the same signal.
 */
function onFatalSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  killAllChildren();
  process.removeListener(signal, onFatalSignal);
  process.kill(process.pid, signal);
}

function killAllChildren(): void {
  // Only synchronous work is possible in an 'exit' handler: SIGKILL, no grace.
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  live.clear();
}
