import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Settings } from 'luxon';
import { activeWindow, isInOutage, isValidTimeZone, parseOutageTime } from './outage-calendar.ts';
import type { OutageCalendar, OutageTime, OutageType } from './outage-calendar.ts';

/** Epoch ms of an ISO string that carries its own offset, so expectations are host-independent. */
function at(iso: string): number {
  const ms = Date.parse(iso);
  assert.ok(!Number.isNaN(ms), `bad instant in test table: ${iso}`);
  return ms;
}

function parsed(type: OutageType, attributes: Record<string, string>, timeZone?: string): OutageTime {
  const result = parseOutageTime(type, attributes, timeZone);
  if (typeof result === 'string') throw new Error(`unexpected problem: ${result}`);
  return result;
}

function calendar(type: OutageType, times: Record<string, string>[], timeZone?: string): OutageCalendar {
  return {
    name: `${type} test`,
    type,
    ...(timeZone === undefined ? {} : { timeZone }),
    times: times.map((attributes) => parsed(type, attributes, timeZone)),
  };
}

const NY = 'America/New_York';

const dailyUtc = calendar('daily', [{ begin: '01:00:00', end: '03:00:00' }], 'UTC');
const dailyMidnightUtc = calendar('daily', [{ begin: '23:30:00', end: '01:00:00' }], 'UTC');
const dailyWholeDayUtc = calendar('daily', [{ begin: '06:00:00', end: '06:00:00' }], 'UTC');
const weeklySundayUtc = calendar('weekly', [{ day: 'sunday', begin: '02:00:00', end: '04:00:00' }], 'UTC');
const weeklySatToSunUtc = calendar('weekly', [{ day: 'SaTuRdAy', begin: '22:00:00', end: '02:00:00' }], 'UTC');
const monthlyFirstUtc = calendar('monthly', [{ day: '1', begin: '00:00:00', end: '06:00:00' }], 'UTC');
const monthly31Utc = calendar('monthly', [{ day: '31', begin: '10:00:00', end: '12:00:00' }], 'UTC');
const monthly31MidnightUtc = calendar('monthly', [{ day: '31', begin: '23:00:00', end: '01:00:00' }], 'UTC');
const monthly30Utc = calendar('monthly', [{ day: '30', begin: '10:00:00', end: '12:00:00' }], 'UTC');
const specificOpenNmsUtc = calendar('specific', [{ begin: '21-Feb-2005 11:59:56', end: '21-Feb-2005 14:00:00' }], 'UTC');
const specificIsoNy = calendar('specific', [{ begin: '2026-12-24T22:00:00', end: '2026-12-26T06:00:00' }], NY);
const dailyNy = calendar('daily', [{ begin: '02:00:00', end: '04:00:00' }], NY);
const dailyUtcSameTimes = calendar('daily', [{ begin: '02:00:00', end: '04:00:00' }], 'UTC');
const weeklySundayNy = calendar('weekly', [{ day: 'sunday', begin: '01:00:00', end: '04:00:00' }], NY);
const dailySpringGapNy = calendar('daily', [{ begin: '02:30:00', end: '04:00:00' }], NY);
const dailyInsideGapNy = calendar('daily', [{ begin: '02:30:00', end: '03:00:00' }], NY);
const dailyMidnightNy = calendar('daily', [{ begin: '23:30:00', end: '01:00:00' }], NY);
const dailyRepeatedHourNy = calendar('daily', [{ begin: '01:00:00', end: '02:00:00' }], NY);
const dailyInsideRepeatNy = calendar('daily', [{ begin: '01:30:00', end: '01:45:00' }], NY);
const overlappingUtc = calendar(
  'daily',
  [
    { begin: '01:00:00', end: '03:00:00' },
    { begin: '02:00:00', end: '05:00:00' },
  ],
  'UTC',
);
const touchingUtc = calendar(
  'daily',
  [
    { begin: '01:00:00', end: '02:00:00' },
    { begin: '02:00:00', end: '03:00:00' },
  ],
  'UTC',
);

// Each row: a calendar, an instant, and the window expected to contain it (null: none).
const WINDOWS: { name: string; calendar: OutageCalendar; at: string; window: [string, string] | null }[] = [
  // Daily, UTC: before, at begin, just before end, at end (half-open).
  { name: 'daily before', calendar: dailyUtc, at: '2026-06-10T00:59:59.999Z', window: null },
  {
    name: 'daily at begin',
    calendar: dailyUtc,
    at: '2026-06-10T01:00:00Z',
    window: ['2026-06-10T01:00:00Z', '2026-06-10T03:00:00Z'],
  },
  {
    name: 'daily just before end',
    calendar: dailyUtc,
    at: '2026-06-10T02:59:59.999Z',
    window: ['2026-06-10T01:00:00Z', '2026-06-10T03:00:00Z'],
  },
  { name: 'daily at end', calendar: dailyUtc, at: '2026-06-10T03:00:00Z', window: null },
  { name: 'daily afternoon', calendar: dailyUtc, at: '2026-06-10T15:00:00Z', window: null },

  // Daily crossing midnight: the window that began yesterday evening.
  { name: 'daily midnight before', calendar: dailyMidnightUtc, at: '2026-06-10T23:29:59.999Z', window: null },
  {
    name: 'daily midnight at begin',
    calendar: dailyMidnightUtc,
    at: '2026-06-10T23:30:00Z',
    window: ['2026-06-10T23:30:00Z', '2026-06-11T01:00:00Z'],
  },
  {
    name: 'daily midnight at midnight',
    calendar: dailyMidnightUtc,
    at: '2026-06-11T00:00:00Z',
    window: ['2026-06-10T23:30:00Z', '2026-06-11T01:00:00Z'],
  },
  {
    name: 'daily midnight after midnight',
    calendar: dailyMidnightUtc,
    at: '2026-06-11T00:59:59.999Z',
    window: ['2026-06-10T23:30:00Z', '2026-06-11T01:00:00Z'],
  },
  { name: 'daily midnight at end', calendar: dailyMidnightUtc, at: '2026-06-11T01:00:00Z', window: null },
  {
    name: 'daily midnight year boundary',
    calendar: dailyMidnightUtc,
    at: '2027-01-01T00:15:00Z',
    window: ['2026-12-31T23:30:00Z', '2027-01-01T01:00:00Z'],
  },

  // begin == end: a whole 24 hours, so every instant is in exactly one day's window.
  {
    name: 'daily begin=end before its time',
    calendar: dailyWholeDayUtc,
    at: '2026-06-10T05:59:59.999Z',
    window: ['2026-06-09T06:00:00Z', '2026-06-10T06:00:00Z'],
  },
  {
    name: 'daily begin=end at its time',
    calendar: dailyWholeDayUtc,
    at: '2026-06-10T06:00:00Z',
    window: ['2026-06-10T06:00:00Z', '2026-06-11T06:00:00Z'],
  },

  // Weekly, Sunday 2026-06-14.
  { name: 'weekly before', calendar: weeklySundayUtc, at: '2026-06-14T01:59:59.999Z', window: null },
  {
    name: 'weekly at begin',
    calendar: weeklySundayUtc,
    at: '2026-06-14T02:00:00Z',
    window: ['2026-06-14T02:00:00Z', '2026-06-14T04:00:00Z'],
  },
  {
    name: 'weekly just before end',
    calendar: weeklySundayUtc,
    at: '2026-06-14T03:59:59.999Z',
    window: ['2026-06-14T02:00:00Z', '2026-06-14T04:00:00Z'],
  },
  { name: 'weekly at end', calendar: weeklySundayUtc, at: '2026-06-14T04:00:00Z', window: null },
  { name: 'weekly Saturday same time', calendar: weeklySundayUtc, at: '2026-06-13T03:00:00Z', window: null },
  { name: 'weekly Monday same time', calendar: weeklySundayUtc, at: '2026-06-15T03:00:00Z', window: null },
  {
    name: 'weekly next Sunday',
    calendar: weeklySundayUtc,
    at: '2026-06-21T03:00:00Z',
    window: ['2026-06-21T02:00:00Z', '2026-06-21T04:00:00Z'],
  },

  // Weekly Saturday 22:00 → Sunday 02:00 (the day name is case-insensitive).
  { name: 'weekly Sat→Sun before', calendar: weeklySatToSunUtc, at: '2026-06-13T21:59:59.999Z', window: null },
  {
    name: 'weekly Sat→Sun at begin',
    calendar: weeklySatToSunUtc,
    at: '2026-06-13T22:00:00Z',
    window: ['2026-06-13T22:00:00Z', '2026-06-14T02:00:00Z'],
  },
  {
    name: 'weekly Sat→Sun on Sunday',
    calendar: weeklySatToSunUtc,
    at: '2026-06-14T01:59:59.999Z',
    window: ['2026-06-13T22:00:00Z', '2026-06-14T02:00:00Z'],
  },
  { name: 'weekly Sat→Sun at end', calendar: weeklySatToSunUtc, at: '2026-06-14T02:00:00Z', window: null },
  // Early Saturday would only be inside a window that began on Friday.
  { name: 'weekly Sat→Sun early Saturday', calendar: weeklySatToSunUtc, at: '2026-06-13T01:00:00Z', window: null },
  { name: 'weekly Sat→Sun Sunday night', calendar: weeklySatToSunUtc, at: '2026-06-14T23:00:00Z', window: null },
  { name: 'weekly Sat→Sun early Monday', calendar: weeklySatToSunUtc, at: '2026-06-15T01:00:00Z', window: null },

  // Monthly, day 1.
  { name: 'monthly before', calendar: monthlyFirstUtc, at: '2026-06-30T23:59:59.999Z', window: null },
  {
    name: 'monthly at begin',
    calendar: monthlyFirstUtc,
    at: '2026-07-01T00:00:00Z',
    window: ['2026-07-01T00:00:00Z', '2026-07-01T06:00:00Z'],
  },
  {
    name: 'monthly just before end',
    calendar: monthlyFirstUtc,
    at: '2026-07-01T05:59:59.999Z',
    window: ['2026-07-01T00:00:00Z', '2026-07-01T06:00:00Z'],
  },
  { name: 'monthly at end', calendar: monthlyFirstUtc, at: '2026-07-01T06:00:00Z', window: null },
  { name: 'monthly next day', calendar: monthlyFirstUtc, at: '2026-07-02T01:00:00Z', window: null },

  // Day 31 in a 30-day month does not occur (and is not moved to the 30th or the 1st).
  { name: 'monthly 31 on April 30', calendar: monthly31Utc, at: '2026-04-30T11:00:00Z', window: null },
  { name: 'monthly 31 on May 1', calendar: monthly31Utc, at: '2026-05-01T11:00:00Z', window: null },
  {
    name: 'monthly 31 on May 31',
    calendar: monthly31Utc,
    at: '2026-05-31T11:00:00Z',
    window: ['2026-05-31T10:00:00Z', '2026-05-31T12:00:00Z'],
  },
  { name: 'monthly 30 in February', calendar: monthly30Utc, at: '2026-02-28T11:00:00Z', window: null },
  { name: 'monthly 30 after February', calendar: monthly30Utc, at: '2026-03-01T11:00:00Z', window: null },

  // Monthly crossing midnight from the last day into the next month (and year).
  {
    name: 'monthly 31 → next month, at begin',
    calendar: monthly31MidnightUtc,
    at: '2026-07-31T23:00:00Z',
    window: ['2026-07-31T23:00:00Z', '2026-08-01T01:00:00Z'],
  },
  {
    name: 'monthly 31 → next month, on the 1st',
    calendar: monthly31MidnightUtc,
    at: '2026-08-01T00:59:59.999Z',
    window: ['2026-07-31T23:00:00Z', '2026-08-01T01:00:00Z'],
  },
  { name: 'monthly 31 → next month, at end', calendar: monthly31MidnightUtc, at: '2026-08-01T01:00:00Z', window: null },
  {
    name: 'monthly 31 → next year',
    calendar: monthly31MidnightUtc,
    at: '2027-01-01T00:30:00Z',
    window: ['2026-12-31T23:00:00Z', '2027-01-01T01:00:00Z'],
  },
  { name: 'monthly 31 after a 30-day month', calendar: monthly31MidnightUtc, at: '2026-05-01T00:30:00Z', window: null },

  // Specific, OpenNMS format, UTC.
  { name: 'specific before', calendar: specificOpenNmsUtc, at: '2005-02-21T11:59:55.999Z', window: null },
  {
    name: 'specific at begin',
    calendar: specificOpenNmsUtc,
    at: '2005-02-21T11:59:56Z',
    window: ['2005-02-21T11:59:56Z', '2005-02-21T14:00:00Z'],
  },
  {
    name: 'specific just before end',
    calendar: specificOpenNmsUtc,
    at: '2005-02-21T13:59:59.999Z',
    window: ['2005-02-21T11:59:56Z', '2005-02-21T14:00:00Z'],
  },
  { name: 'specific at end', calendar: specificOpenNmsUtc, at: '2005-02-21T14:00:00Z', window: null },
  { name: 'specific a year later', calendar: specificOpenNmsUtc, at: '2006-02-21T12:00:00Z', window: null },

  // Specific, ISO 8601, New York wall-clock times.
  { name: 'specific ISO NY before', calendar: specificIsoNy, at: '2026-12-24T21:59:59.999-05:00', window: null },
  {
    name: 'specific ISO NY inside (UTC instant)',
    calendar: specificIsoNy,
    at: '2026-12-25T12:00:00Z',
    window: ['2026-12-25T03:00:00Z', '2026-12-26T11:00:00Z'],
  },
  { name: 'specific ISO NY at end', calendar: specificIsoNy, at: '2026-12-26T11:00:00Z', window: null },

  // The same wall-clock window in New York and in UTC is at different instants.
  { name: 'NY daily vs UTC instant (NY)', calendar: dailyNy, at: '2026-01-15T02:30:00Z', window: null },
  {
    name: 'NY daily vs UTC instant (UTC)',
    calendar: dailyUtcSameTimes,
    at: '2026-01-15T02:30:00Z',
    window: ['2026-01-15T02:00:00Z', '2026-01-15T04:00:00Z'],
  },
  {
    name: 'NY daily in winter (EST)',
    calendar: dailyNy,
    at: '2026-01-15T07:00:00Z',
    window: ['2026-01-15T07:00:00Z', '2026-01-15T09:00:00Z'],
  },
  { name: 'NY daily in winter at end', calendar: dailyNy, at: '2026-01-15T09:00:00Z', window: null },
  {
    name: 'NY daily in summer (EDT)',
    calendar: dailyNy,
    at: '2026-07-15T06:00:00Z',
    window: ['2026-07-15T06:00:00Z', '2026-07-15T08:00:00Z'],
  },
  { name: 'NY daily in summer, winter instant', calendar: dailyNy, at: '2026-07-15T08:30:00Z', window: null },

  // Spring-forward week in New York (Sunday 2026-03-08, 02:00 EST → 03:00 EDT).
  {
    name: 'NY weekly Sunday before the change',
    calendar: weeklySundayNy,
    at: '2026-03-01T06:00:00Z',
    window: ['2026-03-01T06:00:00Z', '2026-03-01T09:00:00Z'],
  },
  {
    name: 'NY weekly Sunday of the change: 01:00 EST to 04:00 EDT is two hours',
    calendar: weeklySundayNy,
    at: '2026-03-08T07:59:59.999Z',
    window: ['2026-03-08T06:00:00Z', '2026-03-08T08:00:00Z'],
  },
  { name: 'NY weekly Sunday of the change at end', calendar: weeklySundayNy, at: '2026-03-08T08:00:00Z', window: null },
  {
    name: 'NY weekly Sunday after the change',
    calendar: weeklySundayNy,
    at: '2026-03-15T05:00:00Z',
    window: ['2026-03-15T05:00:00Z', '2026-03-15T08:00:00Z'],
  },
  { name: 'NY weekly Sunday after the change, EST begin', calendar: weeklySundayNy, at: '2026-03-15T04:59:59.999Z', window: null },

  // A begin the clocks skip moves forward by the gap: 02:30 → 03:30 EDT.
  {
    name: 'NY daily 02:30 the day before the change',
    calendar: dailySpringGapNy,
    at: '2026-03-07T07:30:00Z',
    window: ['2026-03-07T07:30:00Z', '2026-03-07T09:00:00Z'],
  },
  { name: 'NY daily 02:30 on the change, 03:00 EDT', calendar: dailySpringGapNy, at: '2026-03-08T07:00:00Z', window: null },
  {
    name: 'NY daily 02:30 on the change, 03:30 EDT',
    calendar: dailySpringGapNy,
    at: '2026-03-08T07:30:00Z',
    window: ['2026-03-08T07:30:00Z', '2026-03-08T08:00:00Z'],
  },
  {
    name: 'NY daily 02:30 the day after the change',
    calendar: dailySpringGapNy,
    at: '2026-03-09T06:30:00Z',
    window: ['2026-03-09T06:30:00Z', '2026-03-09T08:00:00Z'],
  },
  // 02:30-03:00 would become 03:30-03:00: no window that day, not a 23-hour one.
  { name: 'NY window inside the gap, 03:30 EDT', calendar: dailyInsideGapNy, at: '2026-03-08T07:30:00Z', window: null },
  { name: 'NY window inside the gap, 01:59 EST', calendar: dailyInsideGapNy, at: '2026-03-08T06:59:00Z', window: null },
  { name: 'NY window inside the gap, next day noon', calendar: dailyInsideGapNy, at: '2026-03-08T16:00:00Z', window: null },
  {
    name: 'NY window inside the gap, the next day',
    calendar: dailyInsideGapNy,
    at: '2026-03-09T06:45:00Z',
    window: ['2026-03-09T06:30:00Z', '2026-03-09T07:00:00Z'],
  },
  {
    name: 'NY daily across midnight into the change',
    calendar: dailyMidnightNy,
    at: '2026-03-08T05:59:59.999Z',
    window: ['2026-03-08T04:30:00Z', '2026-03-08T06:00:00Z'],
  },

  // Fall back (Sunday 2026-11-01, 02:00 EDT → 01:00 EST): repeated times take the first pass.
  {
    name: 'NY 01:00-02:00 on fall-back night, first pass',
    calendar: dailyRepeatedHourNy,
    at: '2026-11-01T05:00:00Z',
    window: ['2026-11-01T05:00:00Z', '2026-11-01T07:00:00Z'],
  },
  {
    name: 'NY 01:00-02:00 on fall-back night, second pass',
    calendar: dailyRepeatedHourNy,
    at: '2026-11-01T06:59:59.999Z',
    window: ['2026-11-01T05:00:00Z', '2026-11-01T07:00:00Z'],
  },
  {
    name: 'NY 01:30-01:45 on fall-back night, first pass',
    calendar: dailyInsideRepeatNy,
    at: '2026-11-01T05:30:00Z',
    window: ['2026-11-01T05:30:00Z', '2026-11-01T05:45:00Z'],
  },
  { name: 'NY 01:30-01:45 on fall-back night, second pass', calendar: dailyInsideRepeatNy, at: '2026-11-01T06:30:00Z', window: null },

  // Overlapping windows are reported as their union; touching ones are not merged.
  {
    name: 'overlapping windows',
    calendar: overlappingUtc,
    at: '2026-06-10T02:30:00Z',
    window: ['2026-06-10T01:00:00Z', '2026-06-10T05:00:00Z'],
  },
  {
    name: 'overlapping windows, second only',
    calendar: overlappingUtc,
    at: '2026-06-10T04:00:00Z',
    window: ['2026-06-10T02:00:00Z', '2026-06-10T05:00:00Z'],
  },
  {
    name: 'touching windows at the seam',
    calendar: touchingUtc,
    at: '2026-06-10T02:00:00Z',
    window: ['2026-06-10T02:00:00Z', '2026-06-10T03:00:00Z'],
  },
];

for (const row of WINDOWS) {
  void test(`window: ${row.name}`, () => {
    const expected = row.window && { beginMs: at(row.window[0]), endMs: at(row.window[1]) };
    assert.deepEqual(activeWindow(row.calendar, at(row.at)), expected);
    assert.equal(isInOutage(row.calendar, at(row.at)), expected !== null);
  });
}

void test('without a time zone, times are in the backend local zone', () => {
  const local = calendar('daily', [{ begin: '02:00:00', end: '04:00:00' }]);
  // new Date(y, m, d, h) is the same local zone luxon uses by default, whatever the host's.
  assert.deepEqual(activeWindow(local, new Date(2026, 0, 15, 3, 0).getTime()), {
    beginMs: new Date(2026, 0, 15, 2, 0).getTime(),
    endMs: new Date(2026, 0, 15, 4, 0).getTime(),
  });
  assert.equal(isInOutage(local, new Date(2026, 0, 15, 4, 0).getTime()), false);
  const specific = calendar('specific', [{ begin: '15-Jan-2026 02:00:00', end: '15-Jan-2026 04:00:00' }]);
  assert.deepEqual(specific.times[0], {
    type: 'specific',
    beginMs: new Date(2026, 0, 15, 2, 0).getTime(),
    endMs: new Date(2026, 0, 15, 4, 0).getTime(),
  });
});

// luxon resolves a repeated wall-clock time using the offset in force "now"; ours must not.
void test('DST resolution does not depend on the time of year the code runs', () => {
  const original = Settings.now;
  try {
    for (const now of [at('2026-01-15T12:00:00Z'), at('2026-07-15T12:00:00Z')]) {
      Settings.now = () => now;
      const specific = parsed('specific', { begin: '01-Nov-2026 01:30:00', end: '08-Mar-2027 02:30:00' }, NY);
      assert.deepEqual(specific, {
        type: 'specific',
        beginMs: at('2026-11-01T01:30:00-04:00'),
        endMs: at('2027-03-08T03:30:00-04:00'),
      });
      assert.deepEqual(activeWindow(dailyInsideRepeatNy, at('2026-11-01T05:40:00Z')), {
        beginMs: at('2026-11-01T05:30:00Z'),
        endMs: at('2026-11-01T05:45:00Z'),
      });
    }
  } finally {
    Settings.now = original;
  }
});

void test('an unknown time zone at evaluation is a programming error', () => {
  const bad: OutageCalendar = { ...dailyUtc, timeZone: 'Mars/Olympus_Mons' };
  assert.throws(() => activeWindow(bad, 0), new RangeError('unknown time zone "Mars/Olympus_Mons"'));
});

// Attributes that parse, and what they parse to.
const PARSED: {
  name: string;
  type: OutageType;
  attributes: Record<string, string>;
  timeZone?: string;
  time: OutageTime;
}[] = [
  {
    name: 'daily crossing midnight',
    type: 'daily',
    attributes: { begin: '23:30:00', end: '01:00:00' },
    time: { type: 'daily', beginSecond: 84_600, endSecond: 3_600 },
  },
  {
    name: 'one-digit hour',
    type: 'daily',
    attributes: { begin: '2:00:00', end: '23:59:59' },
    time: { type: 'daily', beginSecond: 7_200, endSecond: 86_399 },
  },
  {
    name: 'weekly Sunday is 7',
    type: 'weekly',
    attributes: { day: 'sunday', begin: '02:00:00', end: '04:00:00' },
    time: { type: 'weekly', weekday: 7, beginSecond: 7_200, endSecond: 14_400 },
  },
  {
    name: 'weekly upper-case Monday is 1',
    type: 'weekly',
    attributes: { day: 'MONDAY', begin: '00:00:00', end: '00:00:00' },
    time: { type: 'weekly', weekday: 1, beginSecond: 0, endSecond: 0 },
  },
  {
    name: 'monthly 31',
    type: 'monthly',
    attributes: { day: '31', begin: '00:00:00', end: '06:00:00' },
    time: { type: 'monthly', dayOfMonth: 31, beginSecond: 0, endSecond: 21_600 },
  },
  {
    name: 'specific, OpenNMS format, UTC',
    type: 'specific',
    attributes: { begin: '21-Feb-2005 11:59:56', end: '21-Feb-2005 14:00:00' },
    timeZone: 'UTC',
    time: { type: 'specific', beginMs: at('2005-02-21T11:59:56Z'), endMs: at('2005-02-21T14:00:00Z') },
  },
  {
    name: 'specific, OpenNMS format, lower-case month, New York',
    type: 'specific',
    attributes: { begin: '21-feb-2005 11:59:56', end: '1-Jul-2005 9:00:00' },
    timeZone: NY,
    time: { type: 'specific', beginMs: at('2005-02-21T11:59:56-05:00'), endMs: at('2005-07-01T09:00:00-04:00') },
  },
  {
    name: 'specific, ISO 8601, New York',
    type: 'specific',
    attributes: { begin: '2026-12-24T22:00:00', end: '2026-12-26T06:00:00.500' },
    timeZone: NY,
    time: { type: 'specific', beginMs: at('2026-12-24T22:00:00-05:00'), endMs: at('2026-12-26T06:00:00.500-05:00') },
  },
  {
    name: 'specific, ISO 8601 with its own offset keeps it',
    type: 'specific',
    attributes: { begin: '2026-12-24T22:00:00Z', end: '2026-12-25T00:30:00+01:00' },
    timeZone: NY,
    time: { type: 'specific', beginMs: at('2026-12-24T22:00:00Z'), endMs: at('2026-12-24T23:30:00Z') },
  },
  {
    name: 'specific, mixed formats',
    type: 'specific',
    attributes: { begin: '2026-03-08T01:00:00', end: '08-Mar-2026 02:30:00' },
    timeZone: NY,
    // 02:30 does not exist that night: read as 03:30 EDT.
    time: { type: 'specific', beginMs: at('2026-03-08T06:00:00Z'), endMs: at('2026-03-08T07:30:00Z') },
  },
];
for (const row of PARSED) {
  void test(`parse: ${row.name}`, () => {
    assert.deepEqual(parseOutageTime(row.type, row.attributes, row.timeZone), row.time);
  });
}

// Each mistake and its exact problem text (the config parser adds file, line and element).
const PROBLEMS: {
  type: OutageType;
  attributes: Record<string, string>;
  timeZone?: string;
  problem: string;
}[] = [
  {
    type: 'daily',
    attributes: { begin: '25:00', end: '01:00:00' },
    problem: 'attribute begin must be a time of day like 23:30:00, got "25:00"',
  },
  {
    type: 'daily',
    attributes: { begin: '24:00:00', end: '01:00:00' },
    problem: 'attribute begin must be a time of day like 23:30:00, got "24:00:00"',
  },
  {
    type: 'daily',
    attributes: { begin: '01:00:00', end: '12:60:00' },
    problem: 'attribute end must be a time of day like 23:30:00, got "12:60:00"',
  },
  {
    type: 'weekly',
    attributes: { day: 'monday', begin: '01:00:00', end: 'noon' },
    problem: 'attribute end must be a time of day like 23:30:00, got "noon"',
  },
  {
    type: 'monthly',
    attributes: { day: '1', begin: '01:00:00.000', end: '02:00:00' },
    problem: 'attribute begin must be a time of day like 23:30:00, got "01:00:00.000"',
  },
  {
    type: 'weekly',
    attributes: { day: 'funday', begin: '01:00:00', end: '02:00:00' },
    problem: 'attribute day must be a weekday name (monday … sunday), got "funday"',
  },
  {
    type: 'weekly',
    attributes: { day: '1', begin: '01:00:00', end: '02:00:00' },
    problem: 'attribute day must be a weekday name (monday … sunday), got "1"',
  },
  {
    type: 'monthly',
    attributes: { day: '0', begin: '01:00:00', end: '02:00:00' },
    problem: 'attribute day must be a day of the month from 1 to 31, got "0"',
  },
  {
    type: 'monthly',
    attributes: { day: '32', begin: '01:00:00', end: '02:00:00' },
    problem: 'attribute day must be a day of the month from 1 to 31, got "32"',
  },
  {
    type: 'monthly',
    attributes: { day: '1st', begin: '01:00:00', end: '02:00:00' },
    problem: 'attribute day must be a day of the month from 1 to 31, got "1st"',
  },
  {
    type: 'monthly',
    attributes: { day: 'sunday', begin: '01:00:00', end: '02:00:00' },
    problem: 'attribute day must be a day of the month from 1 to 31, got "sunday"',
  },
  {
    type: 'daily',
    attributes: { day: 'monday', begin: '01:00:00', end: '02:00:00' },
    problem: 'unknown attribute "day" (allowed: begin, end)',
  },
  {
    type: 'weekly',
    attributes: { day: 'monday', begin: '01:00:00', end: '02:00:00', x: '1' },
    problem: 'unknown attribute "x" (allowed: day, begin, end)',
  },
  { type: 'weekly', attributes: { begin: '01:00:00', end: '02:00:00' }, problem: 'missing required attribute "day"' },
  { type: 'daily', attributes: { begin: '  ', end: '02:00:00' }, problem: 'missing required attribute "begin"' },
  { type: 'specific', attributes: { begin: '21-Feb-2005 11:59:56' }, problem: 'missing required attribute "end"' },
  {
    type: 'specific',
    attributes: { begin: '2005-02-21', end: '21-Feb-2005 14:00:00' },
    problem:
      'attribute begin must be a date and time like 21-Feb-2005 11:59:56 or 2005-02-21T11:59:56, got "2005-02-21"',
  },
  {
    type: 'specific',
    attributes: { begin: '21-Feb-2005 11:59:56', end: '31-Feb-2005 14:00:00' },
    problem:
      'attribute end must be a date and time like 21-Feb-2005 11:59:56 or 2005-02-21T11:59:56, got "31-Feb-2005 14:00:00"',
  },
  {
    type: 'specific',
    attributes: { begin: '21/02/2005 11:59:56', end: '21-Feb-2005 14:00:00' },
    problem:
      'attribute begin must be a date and time like 21-Feb-2005 11:59:56 or 2005-02-21T11:59:56, got "21/02/2005 11:59:56"',
  },
  {
    type: 'specific',
    attributes: { begin: '21-Feb-2005 11:59:56', end: '21-Feb-2005 11:00:00' },
    problem: 'specific time end must be after begin',
  },
  {
    type: 'specific',
    attributes: { begin: '2026-12-24T22:00:00', end: '24-Dec-2026 22:00:00' },
    problem: 'specific time end must be after begin',
  },
  {
    type: 'specific',
    attributes: { begin: '21-Feb-2005 11:59:56', end: '21-Feb-2005 14:00:00' },
    timeZone: 'Mars/Olympus_Mons',
    problem: 'time-zone "Mars/Olympus_Mons" is not a known IANA time zone (such as America/New_York)',
  },
];

for (const row of PROBLEMS) {
  void test(`problem: ${row.problem}`, () => {
    assert.equal(parseOutageTime(row.type, row.attributes, row.timeZone), row.problem);
  });
}

const TIME_ZONES: { name: string; valid: boolean }[] = [
  { name: 'America/New_York', valid: true },
  { name: 'Europe/Paris', valid: true },
  { name: 'UTC', valid: true },
  { name: 'Mars/Olympus_Mons', valid: false },
  { name: '', valid: false },
  { name: '+01:00', valid: false },
];

for (const row of TIME_ZONES) {
  void test(`isValidTimeZone(${JSON.stringify(row.name)})`, () => {
    assert.equal(isValidTimeZone(row.name), row.valid);
  });
}
