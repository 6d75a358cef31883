/**
 * Sets of instants as lists of half-open intervals [startMs, endMs) in epoch
 * milliseconds. Pure and exact (integers in, integers out).
 *
 * Every function accepts any list (unsorted, overlapping, empty or inverted
 * intervals) and returns a *normalized* one: sorted, non-empty intervals that
 * neither overlap nor touch ([0, 5) and [5, 9) become [0, 9)).
 */

export interface Interval {
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

/** The union of one list: sorted, empty intervals dropped, overlapping or touching ones merged. */
export function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.endMs > i.startMs).sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const merged: Interval[] = [];
  for (const { startMs, endMs } of sorted) {
    const last = merged[merged.length - 1];
    if (last && startMs <= last.endMs) {
      if (endMs > last.endMs) last.endMs = endMs;
    } else {
      merged.push({ startMs, endMs });
    }
  }
  return merged;
}

/** Instants in any of the lists. */
export function union(...lists: readonly (readonly Interval[])[]): Interval[] {
  return normalize(lists.flat());
}

/** Instants in both lists. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const x = normalize(a);
  const y = normalize(b);
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const p = x[i]!;
    const q = y[j]!;
    const startMs = Math.max(p.startMs, q.startMs);
    const endMs = Math.min(p.endMs, q.endMs);
    if (startMs < endMs) out.push({ startMs, endMs });
    if (p.endMs <= q.endMs) i++;
    else j++;
  }
  return out;
}

/** Instants in every list; no lists at all is the empty set (there is no universe to return). */
export function intersectAll(lists: readonly (readonly Interval[])[]): Interval[] {
  if (lists.length === 0) return [];
  return lists.slice(1).reduce<Interval[]>((acc, list) => intersect(acc, list), normalize(lists[0]!));
}

/** Instants in `a` and not in `b`. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const y = normalize(b);
  const out: Interval[] = [];
  let j = 0;
  for (const p of normalize(a)) {
    let startMs = p.startMs;
    // Skip what ends before this interval; y is sorted, so those end before every later one too.
    while (j < y.length && y[j]!.endMs <= startMs) j++;
    let k = j;
    while (k < y.length && y[k]!.startMs < p.endMs) {
      const q = y[k]!;
      if (q.startMs > startMs) out.push({ startMs, endMs: q.startMs });
      startMs = Math.max(startMs, q.endMs);
      k++;
    }
    if (startMs < p.endMs) out.push({ startMs, endMs: p.endMs });
  }
  return out;
}

/** The part of the intervals inside [fromMs, toMs). */
export function clip(intervals: readonly Interval[], fromMs: number, toMs: number): Interval[] {
  return intersect(intervals, [{ startMs: fromMs, endMs: toMs }]);
}

/** Total length of the union, so overlaps count once. */
export function totalMs(intervals: readonly Interval[]): number {
  return normalize(intervals).reduce((sum, i) => sum + (i.endMs - i.startMs), 0);
}

/** Whether an instant is in the set. */
export function contains(intervals: readonly Interval[], instantMs: number): boolean {
  return intervals.some((i) => i.startMs <= instantMs && instantMs < i.endMs);
}
