/** Interval arithmetic on half-open intervals, table-driven. Intervals are written [start, end). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clip, contains, intersect, intersectAll, normalize, subtract, totalMs, union, type Interval } from './timeline.ts';

type Pair = [number, number];
const iv = (pairs: Pair[]): Interval[] => pairs.map(([startMs, endMs]) => ({ startMs, endMs }));
const pairs = (intervals: Interval[]): Pair[] => intervals.map((i) => [i.startMs, i.endMs]);

void test('normalize (the union of one list)', () => {
  const cases: [string, Pair[], Pair[]][] = [
    ['empty', [], []],
    ['one', [[1, 5]], [[1, 5]]],
    ['empty and inverted intervals are dropped', [[3, 3], [5, 2], [1, 2]], [[1, 2]]],
    ['sorted', [[7, 9], [1, 2]], [[1, 2], [7, 9]]],
    ['overlapping merge', [[1, 5], [3, 8]], [[1, 8]]],
    ['touching merge (half-open)', [[1, 5], [5, 8]], [[1, 8]]],
    ['contained', [[1, 10], [2, 3], [4, 5]], [[1, 10]]],
    ['chain', [[6, 9], [1, 3], [2, 6], [12, 13]], [[1, 9], [12, 13]]],
  ];
  for (const [name, input, expected] of cases) assert.deepEqual(pairs(normalize(iv(input))), expected, name);
});

void test('normalize does not modify its input', () => {
  const input = iv([[1, 5], [3, 8]]);
  normalize(input);
  assert.deepEqual(pairs(input), [[1, 5], [3, 8]]);
});

void test('union', () => {
  const cases: [string, Pair[], Pair[], Pair[]][] = [
    ['both empty', [], [], []],
    ['one empty', [[1, 2]], [], [[1, 2]]],
    ['disjoint', [[1, 2]], [[3, 4]], [[1, 2], [3, 4]]],
    ['overlapping', [[1, 5]], [[4, 9]], [[1, 9]]],
    ['touching', [[1, 5]], [[5, 9]], [[1, 9]]],
    ['interleaved', [[1, 3], [5, 7]], [[2, 6], [8, 9]], [[1, 7], [8, 9]]],
  ];
  for (const [name, a, b, expected] of cases) assert.deepEqual(pairs(union(iv(a), iv(b))), expected, name);
  assert.deepEqual(pairs(union()), [], 'no lists');
  assert.deepEqual(pairs(union(iv([[1, 2]]), iv([[2, 3]]), iv([[10, 11]]))), [[1, 3], [10, 11]], 'three lists');
});

void test('intersect', () => {
  const cases: [string, Pair[], Pair[], Pair[]][] = [
    ['empty', [[1, 5]], [], []],
    ['disjoint', [[1, 2]], [[3, 4]], []],
    ['touching is empty (half-open)', [[1, 5]], [[5, 9]], []],
    ['overlap', [[1, 5]], [[3, 9]], [[3, 5]]],
    ['contained', [[1, 10]], [[3, 4]], [[3, 4]]],
    ['several', [[0, 10], [20, 30]], [[5, 25]], [[5, 10], [20, 25]]],
    ['unsorted, overlapping input', [[20, 30], [0, 10], [5, 8]], [[25, 26], [9, 12]], [[9, 10], [25, 26]]],
  ];
  for (const [name, a, b, expected] of cases) {
    assert.deepEqual(pairs(intersect(iv(a), iv(b))), expected, name);
    assert.deepEqual(pairs(intersect(iv(b), iv(a))), expected, `${name} (commuted)`);
  }
});

void test('intersectAll', () => {
  assert.deepEqual(pairs(intersectAll([])), [], 'no lists: empty');
  assert.deepEqual(pairs(intersectAll([iv([[3, 1], [1, 4]])])), [[1, 4]], 'one list: normalized');
  assert.deepEqual(pairs(intersectAll([iv([[0, 10]]), iv([[2, 8]]), iv([[5, 20]])])), [[5, 8]]);
});

void test('subtract', () => {
  const cases: [string, Pair[], Pair[], Pair[]][] = [
    ['nothing to subtract', [[1, 5]], [], [[1, 5]]],
    ['from nothing', [], [[1, 5]], []],
    ['disjoint', [[1, 5]], [[6, 9]], [[1, 5]]],
    ['touching leaves all (half-open)', [[1, 5]], [[5, 9], [0, 1]], [[1, 5]]],
    ['middle hole', [[0, 10]], [[3, 4]], [[0, 3], [4, 10]]],
    ['cut start', [[0, 10]], [[-5, 3]], [[3, 10]]],
    ['cut end', [[0, 10]], [[7, 15]], [[0, 7]]],
    ['everything', [[0, 10]], [[-1, 11]], []],
    ['exactly', [[0, 10]], [[0, 10]], []],
    ['several holes', [[0, 10]], [[1, 2], [4, 5], [9, 12]], [[0, 1], [2, 4], [5, 9]]],
    ['one subtrahend across two intervals', [[0, 5], [8, 12]], [[3, 10]], [[0, 3], [10, 12]]],
    ['unsorted inputs', [[8, 12], [0, 5]], [[11, 20], [1, 2]], [[0, 1], [2, 5], [8, 11]]],
  ];
  for (const [name, a, b, expected] of cases) assert.deepEqual(pairs(subtract(iv(a), iv(b))), expected, name);
});

void test('clip to a window', () => {
  const cases: [string, Pair[], Pair, Pair[]][] = [
    ['inside', [[2, 3]], [0, 10], [[2, 3]]],
    ['across the start', [[-5, 3]], [0, 10], [[0, 3]]],
    ['across the end', [[8, 15]], [0, 10], [[8, 10]]],
    ['across both', [[-5, 15]], [0, 10], [[0, 10]]],
    ['before and after', [[-5, 0], [10, 12]], [0, 10], []],
    ['empty window', [[0, 10]], [5, 5], []],
  ];
  for (const [name, input, [from, to], expected] of cases) assert.deepEqual(pairs(clip(iv(input), from, to)), expected, name);
});

void test('totalMs counts overlaps once', () => {
  const cases: [Pair[], number][] = [
    [[], 0],
    [[[0, 10]], 10],
    [[[0, 10], [20, 25]], 15],
    [[[0, 10], [5, 15]], 15],
    [[[0, 10], [2, 3], [10, 11]], 11],
    [[[5, 1]], 0],
  ];
  for (const [input, expected] of cases) assert.equal(totalMs(iv(input)), expected, JSON.stringify(input));
});

void test('contains is half-open', () => {
  const set = iv([[0, 10], [20, 30]]);
  const cases: [number, boolean][] = [[-1, false], [0, true], [9, true], [10, false], [19, false], [20, true], [30, false]];
  for (const [t, expected] of cases) assert.equal(contains(set, t), expected, String(t));
});
