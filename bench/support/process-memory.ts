/**
 * Memory of a process and everything it started, read from /proc: what the
 * footprint benchmarks compare. A launcher (npm, tsx's CLI, a shell) counts
 * with the process it starts, since the user's machine pays for it too.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** `pid` and its descendants, from each process's parent in /proc/PID/stat. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const tree: number[] = [];
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** VmRSS and VmHWM (its peak) of one process in bytes; zeros once it has ended. */
export function processMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rssBytes: 0, peakRssBytes: 0 };
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** The RSS of a whole tree now, and the sum of its processes' own peaks (an upper bound of the tree's peak). */
export function treeMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  let rssBytes = 0;
  let peakRssBytes = 0;
  for (const member of processTree(pid)) {
    const memory = processMemory(member);
    rssBytes += memory.rssBytes;
    peakRssBytes += memory.peakRssBytes;
  }
  return { rssBytes, peakRssBytes };
}

/**
 * Samples a tree's RSS every `everyMs` until stopped: the highest sum seen,
 * beside the processes' own VmHWM sum (which catches a peak between samples
 * but adds peaks that did not happen at the same moment).
 */
export function sampleTree(pid: number, everyMs = 50): { current(): { rssBytes: number; sampledPeakBytes: number; hwmSumBytes: number }; stop(): void } {
  let sampledPeakBytes = 0;
  let hwmSumBytes = 0;
  const sample = () => {
    const { rssBytes, peakRssBytes } = treeMemory(pid);
    sampledPeakBytes = Math.max(sampledPeakBytes, rssBytes);
    hwmSumBytes = Math.max(hwmSumBytes, peakRssBytes);
    return rssBytes;
  };
  const timer = setInterval(sample, everyMs);
  return {
    current: () => ({ rssBytes: sample(), sampledPeakBytes, hwmSumBytes }),
    stop: () => clearInterval(timer),
  };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
