/**
 * The web UI's times (webui/src/time.js), in a zone with summer time: the
 * formats a table shows by age, the zone's name and offset, and the
 * datetime-local values the filters read and write.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env.TZ = 'Europe/Paris';
// Plain JavaScript, type-checked with the web UI (webui/tsconfig.json): imported by URL, typed here.
const TIME_JS = new URL('../../../webui/src/time.js', import.meta.url).href;
const { formatShort, formatTime, fromInputValue, toInputValue, utcOffset, zoneName } = (await import(TIME_JS)) as {
  formatShort(ms: number | null, nowMs?: number): string;
  formatTime(ms: number | null): string;
  fromInputValue(value: string): number | null;
  toInputValue(ms: number): string;
  utcOffset(ms: number): string;
  zoneName(): string;
};

const at = (text: string) => new Date(text).getTime();

void test('the offset from UTC follows summer time', () => {
  assert.equal(utcOffset(at('2026-01-15T12:00:00Z')), '+01:00');
  assert.equal(utcOffset(at('2026-07-15T12:00:00Z')), '+02:00');
  assert.match(zoneName(), /^Europe\/Paris \(UTC\+0[12]:00\)$/);
});

void test('a table shows the time of day for today, the day this year, the year before that', () => {
  const now = at('2026-11-21T15:00:00Z');
  const today = formatShort(at('2026-11-21T07:39:57Z'), now);
  assert.match(today, /\b0?8:39:57/);
  assert.doesNotMatch(today, /Nov/);
  const thisYear = formatShort(at('2026-03-02T07:39:57Z'), now);
  assert.match(thisYear, /Mar/);
  assert.doesNotMatch(thisYear, /2026/);
  assert.match(formatShort(at('2025-11-21T07:39:57Z'), now), /2025/);
  // Midnight in Paris is 23:00 UTC the day before: the day is the viewer's.
  assert.match(formatShort(at('2026-11-20T23:30:00Z'), now), /\b(00|12):30:00/);
  assert.equal(formatShort(null), '—');
  const full = formatTime(at('2026-11-21T07:39:57Z'));
  for (const part of [/\b21\b/, /Nov/, /2026/, /08:39:57/]) assert.match(full, part);
});

void test('datetime-local values are read and written in the viewer\'s zone', () => {
  assert.equal(toInputValue(at('2026-11-21T07:39:57Z')), '2026-11-21T08:39');
  assert.equal(fromInputValue('2026-11-21T08:39'), at('2026-11-21T07:39:00Z'));
  assert.equal(fromInputValue('2026-07-01T08:39:05.5'), at('2026-07-01T06:39:05.500Z'));
  for (const ms of [at('2026-03-29T00:59:00Z'), at('2026-10-25T02:10:00Z'), at('2026-12-31T23:59:00Z')]) assert.equal(fromInputValue(toInputValue(ms)), ms);
});

void test('a value that is no date and time reads as none', () => {
  for (const value of ['', 'yesterday', '2026-02-30T10:00', '2026-13-01T10:00', '2026-11-21T24:00', '2026-11-21T08:60', '2026-11-21 08:39', '2026-11-21T08:39Z']) {
    assert.equal(fromInputValue(value), null, value);
  }
  // 02:30 on the morning clocks go forward does not exist: it is read as the hour after, as the clocks did.
  assert.equal(fromInputValue('2026-03-29T02:30'), at('2026-03-29T01:30:00Z'));
});
