// CPU time of Docker containers and of the host, sampled while a bench section runs, so that a throughput that
// changes over a long window can be put beside what each process spent per call in the same seconds.
// Reads the containers' cgroups (v1 cpuacct with the cgroupfs driver, or v2 with either driver) and /proc/stat.
import { readFileSync } from 'node:fs';
import { run } from './measure.mjs';

/** Nanoseconds of CPU a container has used, or undefined when its cgroup is not found. */
function containerCpuNs(id) {
  const candidates = [
    [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, (text) => Number(text)],
    [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, usageOfCpuStat],
    [`/sys/fs/cgroup/docker/${id}/cpu.stat`, usageOfCpuStat],
  ];
  for (const [path, parse] of candidates) {
    try {
      return parse(readFileSync(path, 'utf8'));
    } catch {
      // not this layout
    }
  }
  return undefined;
}

function usageOfCpuStat(text) {
  const line = text.split('\n').find((l) => l.startsWith('usage_usec '));
  return Number(line.split(' ')[1]) * 1000;
}

/** The host's CPU time so far, in clock ticks: all of it, idle, and stolen by the hypervisor. */
function hostTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

/**
 * Samples, every `intervalMs`, the CPU time of each group of containers (`groups`: a name → the `docker ps`
 * filter that finds them) and the host's. A group's containers are looked up until some are found, then kept.
 * `stop()` ends the sampling and returns the samples: `{ at (epoch ms), cpuMs: { group: ms }, host }`.
 */
export function sampleContainerCpu(groups, intervalMs = 2000) {
  const ids = Object.fromEntries(Object.keys(groups).map((name) => [name, []]));
  const samples = [];
  let stopped = false;
  const sample = async () => {
    for (const [name, filter] of Object.entries(groups)) {
      if (ids[name].length > 0) continue;
      const out = await run('docker', ['ps', '-q', '--no-trunc', '--filter', filter], { timeoutMs: 10_000 }).catch(() => '');
      ids[name] = out.split('\n').filter(Boolean);
    }
    const cpuMs = {};
    for (const [name, list] of Object.entries(ids)) {
      const used = list.map(containerCpuNs).filter((ns) => ns !== undefined);
      cpuMs[name] = used.length === 0 ? undefined : used.reduce((a, b) => a + b, 0) / 1e6;
    }
    samples.push({ at: Date.now(), cpuMs, host: hostTicks() });
  };
  const loop = (async () => {
    while (!stopped) {
      await sample();
      await new Promise((done) => setTimeout(done, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await sample();
      return samples;
    },
  };
}

/**
 * What each group spent per call between `from` and `to` (epoch ms), from the samples nearest those times:
 * `{ perCallMs: { group: ms }, stealPercent, busyPercent }`, given how many calls completed in between.
 */
export function cpuBetween(samples, from, to, calls) {
  const nearest = (t) => samples.reduce((best, s) => (Math.abs(s.at - t) < Math.abs(best.at - t) ? s : best));
  const a = nearest(from);
  const b = nearest(to);
  const perCallMs = {};
  for (const name of Object.keys(b.cpuMs)) {
    const used = a.cpuMs[name] === undefined || b.cpuMs[name] === undefined ? undefined : b.cpuMs[name] - a.cpuMs[name];
    // Scaled to the window asked for: the samples bracket it within one interval.
    const scale = b.at === a.at ? 1 : (to - from) / (b.at - a.at);
    perCallMs[name] = used === undefined || calls === 0 ? undefined : (used * scale) / calls;
  }
  const ticks = b.host.total - a.host.total;
  return {
    perCallMs,
    stealPercent: ticks === 0 ? 0 : (100 * (b.host.steal - a.host.steal)) / ticks,
    busyPercent: ticks === 0 ? 0 : (100 * (ticks - (b.host.idle - a.host.idle))) / ticks,
  };
}
