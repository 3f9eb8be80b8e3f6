import { readFileSync, readdirSync } from 'node:fs';

/** This test's function servers in bubblewrap (host pids), by whether each still waits for a function. */
export function servers(): { waiting: number[]; given: number[] } {
  const found = { waiting: [] as number[], given: [] as number[] };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The server itself, not the bubblewrap processes around it (whose command lines name it too).
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0');
      if (!argv[1]?.startsWith('/dispatch/runtime/server.') || !descendsFromUs(Number(entry))) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (!environ.includes('DISPATCH_SPARE=1')) continue;
      // A spare's /function (its slot) is empty until it is given a function.
      const files = readdirSync(`/proc/${entry}/root/function`);
      (files.length === 0 ? found.waiting : found.given).push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function descendsFromUs(pid: number): boolean {
  for (let current = pid; current > 1;) {
    const stat = readFileSync(`/proc/${current}/stat`, 'latin1');
    current = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (current === process.pid) return true;
  }
  return false;
}
