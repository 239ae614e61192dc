// Reading a process's CPU time and resident memory from Linux /proc, so a benchmark can
// measure a server it started as a child process without the server's cooperation.
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we target). */
const CLK_TCK = 100;

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime) are at indices 11 and 12 after the name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`cannot parse /proc/${pid}/stat`);
  }
  return (utime + stime) / CLK_TCK;
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/**
 * Waits until the RSS stops moving (two samples `stepMs` apart within 1% or 256 KB),
 * at most `maxMs`, and returns the last sample. Memory is sampled, not awaited as an event:
 * the kernel does not signal when a process has finished freeing pages.
 */
export async function settledRss(pid: number, maxMs = 8_000, stepMs = 500): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = rssBytes(pid);
  while (Date.now() < deadline) {
    await sleep(stepMs);
    const now = rssBytes(pid);
    const moved = Math.abs(now - last);
    last = now;
    if (moved <= Math.max(256 * 1024, now * 0.01)) break;
  }
  return last;
}

const cmdlineOf = (pid: number): string[] => {
  try {
    // Chromium's children rewrite their title: one string of space-separated arguments.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
  } catch {
    return [];
  }
};

/** Parent pid (field 4 of stat(5)), or null if the process is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by the browser started with `--user-data-dir=<profileDir>` and every
 * process under it (renderers, GPU, network and storage utilities): what the page costs the
 * machine beyond its own main thread (IndexedDB runs in the browser process).
 */
export function chromiumCpuSeconds(profileDir: string): number {
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const root = pids.find((p) => {
    const args = cmdlineOf(p);
    return (
      args.includes(`--user-data-dir=${profileDir}`) && !args.some((a) => a.startsWith('--type='))
    );
  });
  if (root === undefined) return 0;
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of pids) {
      if (tree.has(p)) continue;
      const parent = parentOf(p);
      if (parent !== null && tree.has(parent)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let sec = 0;
  for (const p of tree) {
    try {
      sec += cpuSeconds(p);
    } catch {
      // gone meanwhile
    }
  }
  return sec;
}
