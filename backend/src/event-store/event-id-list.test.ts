/** Event ids in NOTIFY payloads: runs, the byte limit, and what a receiver refuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_NOTIFY_PAYLOAD_BYTES } from '../cluster/pg-notifications.ts';
import { decodeEventIds, encodeEventIds, MAX_IDS_PER_RUN } from './event-id-list.ts';

void test('consecutive ids become runs; the payload decodes to the same ids', () => {
  const cases: [number[], string[]][] = [
    [[], []],
    [[7], ['7']],
    [[3, 1, 2, 2], ['1-3']],
    [[10, 11, 12, 40, 50, 51], ['10-12,40,50-51']],
  ];
  for (const [ids, payloads] of cases) {
    assert.deepEqual(encodeEventIds(ids, MAX_NOTIFY_PAYLOAD_BYTES), payloads, String(ids));
    assert.deepEqual(payloads.flatMap(decodeEventIds), [...new Set(ids)].sort((a, b) => a - b));
  }
});

void test('ids that do not fit one payload are split, each under the limit, none lost', () => {
  // Every other id: no runs, about 9 bytes each, far more than 8000 bytes in all.
  const ids = Array.from({ length: 5_000 }, (_, i) => 10_000_000 + 2 * i);
  const payloads = encodeEventIds(ids, MAX_NOTIFY_PAYLOAD_BYTES);
  assert.ok(payloads.length > 1);
  for (const payload of payloads) assert.ok(Buffer.byteLength(payload) <= MAX_NOTIFY_PAYLOAD_BYTES, `${Buffer.byteLength(payload)} bytes`);
  assert.deepEqual(payloads.flatMap(decodeEventIds), ids);
});

void test('a payload that is not a list of ids is refused, naming the part', () => {
  const cases: [string, RegExp][] = [
    ['', /"" is not an event id/],
    ['12,abc', /"abc" is not an event id/],
    ['5-3', /"5-3" is not a run of at most/],
    [`1-${MAX_IDS_PER_RUN + 1}`, /is not a run of at most 100000 ids/],
    ['1--2', /"1--2" is not an event id/],
  ];
  for (const [payload, error] of cases) assert.throws(() => decodeEventIds(payload), error, payload);
});
