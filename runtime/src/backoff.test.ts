import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, backoffDelayMs } from './backoff.ts';

void test('backoff doubles from initialMs up to maxMs, less up to the jitter', () => {
  const none = () => 0;
  assert.deepEqual(
    [1, 2, 3, 4, 10, 11, 20, 100].map((f) => backoffDelayMs(f, { maxMs: 600_000 }, none)),
    [1000, 2000, 4000, 8000, 512_000, 600_000, 600_000, 600_000],
  );
  assert.deepEqual(
    [1, 2, 3].map((f) => backoffDelayMs(f, { initialMs: 20, maxMs: 50 }, none)),
    [20, 40, 50],
  );
  // The jitter takes up to 20% off by default: a random draw of 0.5 takes 10%.
  assert.equal(backoffDelayMs(3, {}, () => 0.5), 3600);
  assert.equal(backoffDelayMs(3, { jitter: 0.5 }, () => 0.999), 2002);
  for (let i = 0; i < 1000; i++) {
    const d = backoffDelayMs(2);
    assert.ok(d >= 1600 && d <= 2000, `${d}`);
  }
});

void test('full jitter spreads the waits from the floor to the ceiling', () => {
  const waits = Array.from({ length: 2000 }, () => backoffDelayMs(4, { initialMs: 1000, jitter: 1, minMs: 500 }));
  assert.ok(waits.every((d) => d >= 500 && d <= 8000), 'within [minMs, ceiling]');
  assert.ok(Math.min(...waits) < 1500 && Math.max(...waits) > 7000, 'spread over the whole range');
  assert.equal(backoffDelayMs(1, { initialMs: 100, jitter: 1, minMs: 500 }, () => 0), 100, 'the floor never exceeds the ceiling');
});

void test('a Backoff counts failures until reset', () => {
  const backoff = new Backoff({ initialMs: 10, maxMs: 100, jitter: 0 });
  assert.deepEqual([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()], [10, 20, 40, 80, 100]);
  assert.equal(backoff.consecutiveFailures, 5);
  backoff.reset();
  assert.equal(backoff.next(), 10);
});
