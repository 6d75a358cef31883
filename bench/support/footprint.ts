/**
 * What the footprint benchmarks measure: the memory of a process and
 * everything it started, read from /proc (a launcher such as npm, tsx's CLI
 * or a shell counts with the process it starts, since the user's machine pays
 * for it too), and the size of a folder.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

/** The bytes of the files in `dir` and below. */
export function folderBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user and system) of a tree's live processes and the children they have waited for, in ms. */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime: fields 14 to 17 of stat, 12 to 15 after the name.
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    } catch {
      // ended while we looked
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The deepest process of the tree whose command line matches `pattern` (the program, not the shell that started it). */
export function findInTree(pid: number, pattern: RegExp): number | undefined {
  return processTree(pid).findLast((member) => {
    try {
      return pattern.test(readFileSync(`/proc/${member}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      return false;
    }
  });
}
