import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PollResultRecord } from '@vantage/common';
import { ResultSpool } from './spool.ts';

/** The spool's size estimate of one result (APPROX_RESULT_BYTES in spool.ts). */
const RESULT_BYTES = 160;
const NOW = Date.UTC(2025, 0, 1);
const ROOMY = { maxAgeMs: 3_600_000, maxBytes: 1024 * 1024 };

function result(seq: number, serviceId = 'www/HTTP', timestamp = NOW): PollResultRecord {
  return { seq, serviceId, timestamp, status: 'UP' };
}

function seqs(results: PollResultRecord[]): number[] {
  return results.map((r) => r.seq);
}

function spoolWith(count: number, limits = ROOMY): ResultSpool {
  const spool = new ResultSpool(limits, () => NOW);
  for (let seq = 1; seq <= count; seq++) spool.push(result(seq));
  return spool;
}

void test('peek gives the oldest results first, at most max, without removing them', () => {
  const spool = spoolWith(5);
  assert.deepEqual(seqs(spool.peek(3)), [1, 2, 3]);
  assert.deepEqual(seqs(spool.peek(3)), [1, 2, 3]);
  assert.deepEqual(seqs(spool.peek(100)), [1, 2, 3, 4, 5]);
  assert.deepEqual(spool.peek(0), []);
  assert.equal(spool.size, 5);
  assert.deepEqual(new ResultSpool(ROOMY).peek(10), []);
});

const ACKNOWLEDGE: { ackedSeq: number; left: number[] }[] = [
  { ackedSeq: 0, left: [1, 2, 3, 4, 5] },
  { ackedSeq: 1, left: [2, 3, 4, 5] },
  { ackedSeq: 3, left: [4, 5] },
  { ackedSeq: 5, left: [] },
  { ackedSeq: 99, left: [] },
];

for (const { ackedSeq, left } of ACKNOWLEDGE) {
  void test(`acknowledge(${ackedSeq}) removes the results with seq <= ${ackedSeq}`, () => {
    const spool = spoolWith(5);
    spool.acknowledge(ackedSeq);
    assert.deepEqual(seqs(spool.peek(10)), left);
    assert.equal(spool.size, left.length);
    assert.equal(spool.dropped, 0);
  });
}

void test('acknowledging an older seq again changes nothing, and pushing continues after it', () => {
  const spool = spoolWith(5);
  spool.acknowledge(3);
  spool.acknowledge(2);
  assert.deepEqual(seqs(spool.peek(10)), [4, 5]);
  spool.push(result(6));
  assert.deepEqual(seqs(spool.peek(10)), [4, 5, 6]);
});

void test('acknowledging many results keeps the rest in order (compaction)', () => {
  const spool = spoolWith(3_000);
  spool.acknowledge(1_000);
  spool.acknowledge(2_500);
  assert.equal(spool.size, 500);
  assert.deepEqual(seqs(spool.peek(3)), [2_501, 2_502, 2_503]);
  spool.push(result(3_001));
  const rest = spool.peek(1_000);
  assert.equal(rest.length, 501);
  assert.deepEqual(seqs(rest.slice(-2)), [3_000, 3_001]);
});

void test('past the byte limit the oldest results are dropped and counted', () => {
  const spool = spoolWith(5, { maxAgeMs: ROOMY.maxAgeMs, maxBytes: 3 * RESULT_BYTES });
  assert.equal(spool.size, 3);
  assert.equal(spool.dropped, 2);
  assert.deepEqual(seqs(spool.peek(10)), [3, 4, 5]);
  spool.acknowledge(3);
  spool.push(result(6));
  spool.push(result(7));
  assert.deepEqual(seqs(spool.peek(10)), [5, 6, 7]);
  assert.equal(spool.dropped, 3);
});

void test('a byte limit below one result still keeps the newest result', () => {
  const spool = spoolWith(3, { maxAgeMs: ROOMY.maxAgeMs, maxBytes: 1 });
  assert.deepEqual(seqs(spool.peek(10)), [3]);
  assert.equal(spool.dropped, 2);
});

void test('results older than the age limit are dropped and counted', () => {
  let now = NOW;
  const spool = new ResultSpool({ maxAgeMs: 60_000, maxBytes: ROOMY.maxBytes }, () => now);
  spool.push(result(1, 'a', NOW));
  spool.push(result(2, 'a', NOW + 10_000));
  spool.push(result(3, 'a', NOW + 20_000));
  assert.equal(spool.dropped, 0);
  // Results are old when pushing the next one finds them older than maxAgeMs.
  now = NOW + 70_000;
  spool.push(result(4, 'a', now));
  assert.deepEqual(seqs(spool.peek(10)), [2, 3, 4], 'NOW + 10 000 is exactly 60 s old: kept');
  assert.equal(spool.dropped, 1);
  now = NOW + 90_000;
  spool.push(result(5, 'a', now));
  assert.deepEqual(seqs(spool.peek(10)), [4, 5]);
  assert.equal(spool.dropped, 3);
});

void test('new limits apply from the next push', () => {
  const spool = spoolWith(6);
  spool.setLimits({ maxAgeMs: ROOMY.maxAgeMs, maxBytes: 2 * RESULT_BYTES });
  spool.push(result(7));
  assert.deepEqual(seqs(spool.peek(10)), [6, 7]);
  assert.equal(spool.dropped, 5);
});

void test('discardServices drops those services\u2019 results, keeps the others in order, and counts them', () => {
  const spool = new ResultSpool(ROOMY, () => NOW);
  const services = ['a/HTTP', 'b/TCP', 'c/HTTP', 'a/HTTP', 'b/TCP', 'd/TCP', 'a/HTTP'];
  services.forEach((serviceId, i) => spool.push(result(i + 1, serviceId)));
  spool.acknowledge(1);
  assert.equal(spool.discardServices(new Set(['a/HTTP', 'b/TCP', 'z/GONE'])), 4);
  assert.deepEqual(
    spool.peek(10).map((r) => [r.seq, r.serviceId]),
    [
      [3, 'c/HTTP'],
      [6, 'd/TCP'],
    ],
  );
  assert.equal(spool.size, 2);
  assert.equal(spool.discardServices(new Set(['a/HTTP'])), 0);
  // Discarded results are not "dropped": the backend refused them.
  assert.equal(spool.dropped, 0);
  spool.acknowledge(3);
  assert.deepEqual(seqs(spool.peek(10)), [6]);
});

void test('discardSeqs drops exactly those results, keeps the others in order, and counts them', () => {
  const spool = new ResultSpool(ROOMY, () => NOW);
  for (let seq = 1; seq <= 6; seq++) spool.push(result(seq));
  spool.acknowledge(1);
  assert.equal(spool.discardSeqs(new Set([1, 3, 5, 99])), 2, 'seq 1 was already acknowledged');
  assert.deepEqual(seqs(spool.peek(10)), [2, 4, 6]);
  assert.equal(spool.dropped, 0, 'refused, not dropped for lack of room');
});
