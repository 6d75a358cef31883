/**
 * Outage calendars: scheduled maintenance windows, modelled on OpenNMS's
 * poll-outages.xml. An outage has a type (specific, daily, weekly, monthly) and one or
 * more `<time>` elements; this module parses a `<time>` element's attributes and decides
 * whether an instant falls inside one of the calendar's windows.
 *
 * Pure: no I/O, no clock. Callers pass the instant, so the same code serves the poller
 * ("is this service in maintenance now?") and tests.
 *
 * Times are wall-clock times in the calendar's time zone (or the backend's local zone when
 * it has none), because that is how administrators write maintenance windows: "every
 * Sunday 02:00-04:00 New York time" must follow the clocks through daylight saving time.
 * Windows are half-open, [begin, end): an outage ending at 04:00:00 is over at 04:00:00,
 * so back-to-back windows do not double-count the instant they meet.
 *
 * Daylight saving time. A wall-clock time resolves to an instant like this:
 * - a time the clocks skip (02:30 on a spring-forward night in New York) is read with the
 *   offset from before the change, so it lands as far after the jump as it was after the
 *   last valid time: 02:30 becomes 03:30 new time. This is what luxon, java.util.Calendar
 *   (so OpenNMS) and the Temporal "compatible" rule do. A daily 02:30-04:00 window thus runs
 *   03:30-04:00 that day; a daily 02:30-03:00 window would end (03:00) before it begins
 *   (03:30), so it does not occur that day rather than turning into a 23-hour window.
 * - a time the clocks pass twice (01:30 on a fall-back night) is read as its first
 *   occurrence (daylight time), again like Temporal and java.time. A daily 01:00-02:00
 *   window therefore runs two real hours that night (01:00 EDT to 02:00 EST).
 *   luxon's own resolution of such times depends on the offset in force when the code
 *   runs (its "now"), so we resolve them here to get the same answer all year round.
 * Whether a window crosses midnight is decided from the wall-clock times as written
 * (end not after begin), never from the resolved instants, for the same reason.
 */
import { DateTime, IANAZone, Settings } from 'luxon';
import type { Zone } from 'luxon';

/** The kinds of outage in poll-outages.xml, in the order OpenNMS documents them. */
export const OUTAGE_TYPES = ['specific', 'daily', 'weekly', 'monthly'] as const;

/** How an outage recurs: once (specific), or every day, week or month. */
export type OutageType = (typeof OUTAGE_TYPES)[number];

/** A one-off window, already resolved to instants (the time zone is applied when parsing). */
export interface SpecificOutageTime {
  type: 'specific';
  /** Inclusive start, epoch milliseconds. */
  beginMs: number;
  /** Exclusive end, epoch milliseconds; always after beginMs. */
  endMs: number;
}

/**
 * Fields shared by recurring windows: wall-clock times as seconds since midnight (0-86399).
 * endSecond <= beginSecond means the window crosses midnight and ends the following day
 * (equal: a whole 24 hours).
 */
interface RecurringOutageTime {
  beginSecond: number;
  endSecond: number;
}

/** Every day from beginSecond to endSecond. */
export interface DailyOutageTime extends RecurringOutageTime {
  type: 'daily';
}

/** Every week on one weekday, from beginSecond to endSecond (possibly into the next day). */
export interface WeeklyOutageTime extends RecurringOutageTime {
  type: 'weekly';
  /** ISO 8601 / luxon numbering: 1 = Monday … 7 = Sunday. */
  weekday: number;
}

/**
 * Every month on one day of the month. A month without that day (31 in April, 30 in
 * February) simply has no window, as in OpenNMS; it is not moved to the month's last day.
 */
export interface MonthlyOutageTime extends RecurringOutageTime {
  type: 'monthly';
  /** 1-31. */
  dayOfMonth: number;
}

/** One parsed `<time>` element. */
export type OutageTime = SpecificOutageTime | DailyOutageTime | WeeklyOutageTime | MonthlyOutageTime;

/** One `<outage>` of poll-outages.xml: a name, how it recurs, and its windows. */
export interface OutageCalendar {
  name: string;
  type: OutageType;
  /**
   * IANA zone name ("America/New_York") the times are written in; absent means the
   * backend's local zone. Recurring times are resolved in it at each evaluation; specific
   * times were already resolved when parsed (see parseOutageTime).
   */
  timeZone?: string;
  times: OutageTime[];
}

/** A window as instants: [beginMs, endMs) in epoch milliseconds. */
export interface OutageWindow {
  beginMs: number;
  endMs: number;
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** The attributes each type of `<time>` takes, in the order they are usually written. */
const ATTRIBUTES: Record<OutageType, readonly string[]> = {
  specific: ['begin', 'end'],
  daily: ['begin', 'end'],
  weekly: ['day', 'begin', 'end'],
  monthly: ['day', 'begin', 'end'],
};

const SECONDS_PER_DAY = 24 * 60 * 60;
const MS_PER_DAY = SECONDS_PER_DAY * 1000;

/** OpenNMS's specific-outage format (Java `dd-MMM-yyyy HH:mm:ss`), a little more lenient on digits. */
const OPENNMS_FORMAT = 'd-MMM-yyyy H:mm:ss';

/** True if `name` is an IANA time zone this runtime knows ("America/New_York", "UTC"). */
export function isValidTimeZone(name: string): boolean {
  return name.trim() !== '' && IANAZone.isValidZone(name);
}

/**
 * Parses the attributes of one `<time>` element of an outage of the given type.
 *
 * Returns the parsed time, or a problem worded for an administrator (for example
 * `attribute day must be a weekday name (monday … sunday), got "funday"`) that the config
 * parser prefixes with file, line and element.
 *
 * `timeZone` is the calendar's time-zone attribute (absent: the backend's local zone). It
 * is only used to resolve specific times, which are turned into instants here; validate
 * it with isValidTimeZone first so its problem is reported against the right element.
 * A specific time written in ISO 8601 with an explicit offset (`2026-12-24T22:00:00Z`)
 * keeps that offset instead.
 */
export function parseOutageTime(
  type: OutageType,
  attributes: Record<string, string>,
  timeZone?: string,
): OutageTime | string {
  const allowed = ATTRIBUTES[type] as readonly string[] | undefined;
  // The type is checked by the config parser, but this is the boundary of the module.
  if (!allowed) return `unknown outage type "${String(type)}" (allowed: ${OUTAGE_TYPES.join(', ')})`;
  for (const name of Object.keys(attributes)) {
    if (!allowed.includes(name)) return `unknown attribute "${name}" (allowed: ${allowed.join(', ')})`;
  }
  for (const name of allowed) {
    const value = attributes[name];
    // Blank counts as missing, as for the other polling-config attributes.
    if (value === undefined || value.trim() === '') return `missing required attribute "${name}"`;
  }
  const begin = attributes.begin ?? '';
  const end = attributes.end ?? '';

  if (type === 'specific') {
    if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
      return `time-zone "${timeZone}" is not a known IANA time zone (such as America/New_York)`;
    }
    const zone = zoneFor(timeZone);
    const beginMs = parseDateTime(begin, zone);
    if (beginMs === undefined) return dateTimeProblem('begin', begin);
    const endMs = parseDateTime(end, zone);
    if (endMs === undefined) return dateTimeProblem('end', end);
    // Unlike recurring windows there is no "next day" to roll into: a backwards pair is a typo.
    if (endMs <= beginMs) return 'specific time end must be after begin';
    return { type, beginMs, endMs };
  }

  const beginSecond = parseTimeOfDay(begin);
  if (beginSecond === undefined) return timeOfDayProblem('begin', begin);
  const endSecond = parseTimeOfDay(end);
  if (endSecond === undefined) return timeOfDayProblem('end', end);
  if (type === 'daily') return { type, beginSecond, endSecond };

  const day = attributes.day ?? '';
  if (type === 'weekly') {
    const index = WEEKDAYS.indexOf(day.trim().toLowerCase());
    if (index < 0) return `attribute day must be a weekday name (monday … sunday), got "${day}"`;
    return { type, weekday: index + 1, beginSecond, endSecond };
  }
  const dayOfMonth = /^\d{1,2}$/.test(day.trim()) ? Number(day.trim()) : NaN;
  if (!(dayOfMonth >= 1 && dayOfMonth <= 31)) {
    return `attribute day must be a day of the month from 1 to 31, got "${day}"`;
  }
  return { type, dayOfMonth, beginSecond, endSecond };
}

/** True if the instant falls inside any of the calendar's windows. */
export function isInOutage(calendar: OutageCalendar, epochMs: number): boolean {
  return activeWindow(calendar, epochMs) !== null;
}

/**
 * The window containing the instant, or null if it is outside every window.
 *
 * If several of the calendar's windows contain the instant they overlap there, so their
 * union is one interval and that is returned: endMs is when the outage really ends.
 * Windows that only touch (one ends exactly when the next begins) are not merged; asking
 * again at endMs gives the next one.
 *
 * Throws a RangeError if the calendar's time zone is unknown: the config parser rejects
 * those, so that is a programming error, not a configuration one.
 */
export function activeWindow(calendar: OutageCalendar, epochMs: number): OutageWindow | null {
  const zone = evaluationZone(calendar.timeZone);
  // The local date of the instant, as a date-only value: calendar-day arithmetic is done
  // in UTC, where every day has 24 hours, and only the final wall-clock times meet the zone.
  const local = DateTime.fromMillis(epochMs, { zone });
  const today = DateTime.utc(local.year, local.month, local.day);
  // A recurring window lasts at most 24 wall-clock hours, so only windows beginning
  // yesterday (crossing midnight) or today can contain an instant of today.
  const days = [today.minus({ days: 1 }), today];

  let found: OutageWindow | null = null;
  for (const time of calendar.times) {
    const windows: OutageWindow[] =
      time.type === 'specific'
        ? [{ beginMs: time.beginMs, endMs: time.endMs }]
        : days.filter((date) => occursOn(time, date)).map((date) => recurringWindow(time, date, zone));
    for (const window of windows) {
      if (!(window.beginMs <= epochMs && epochMs < window.endMs)) continue;
      found = found
        ? { beginMs: Math.min(found.beginMs, window.beginMs), endMs: Math.max(found.endMs, window.endMs) }
        : window;
    }
  }
  return found;
}

/** Whether a recurring window begins on this calendar date (a UTC-midnight DateTime). */
function occursOn(time: DailyOutageTime | WeeklyOutageTime | MonthlyOutageTime, date: DateTime): boolean {
  switch (time.type) {
    case 'daily':
      return true;
    case 'weekly':
      return date.weekday === time.weekday;
    case 'monthly':
      // A day the month lacks never equals date.day, so it just doesn't occur.
      return date.day === time.dayOfMonth;
  }
}

/**
 * The instants of the window beginning on `date`. If daylight saving time makes it end
 * before it begins (see the module comment) no instant is inside it, so it doesn't occur.
 */
function recurringWindow(time: RecurringOutageTime, date: DateTime, zone: Zone): OutageWindow {
  const endDate = time.endSecond <= time.beginSecond ? date.plus({ days: 1 }) : date;
  const beginMs = resolveWallClock(date.toMillis() + time.beginSecond * 1000, zone);
  const endMs = resolveWallClock(endDate.toMillis() + time.endSecond * 1000, zone);
  return { beginMs, endMs };
}

/**
 * The instant at which the zone's clocks show `wallMs` (a wall-clock time encoded as if it
 * were UTC). Skipped times move forward by the gap, repeated times take their first
 * occurrence; see the module comment for why this is not left to luxon.
 */
function resolveWallClock(wallMs: number, zone: Zone): number {
  // Any transition affecting this wall time lies within a day of it, so the offsets a day
  // either side are the one before and the one after the change (equal if there is none).
  const offsets = [zone.offset(wallMs - MS_PER_DAY), zone.offset(wallMs + MS_PER_DAY)];
  const valid = offsets.map((o) => wallMs - o * 60_000).filter((ms) => zone.offset(ms) * 60_000 === wallMs - ms);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: read with the offset from before the change, the smaller one.
  return wallMs - Math.min(...offsets) * 60_000;
}

/** Seconds since midnight for `HH:mm:ss` (hour may be one digit), or undefined. */
function parseTimeOfDay(text: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  return hours * 3600 + minutes * 60 + seconds;
}

function timeOfDayProblem(attribute: string, value: string): string {
  return `attribute ${attribute} must be a time of day like 23:30:00, got "${value}"`;
}

/**
 * Epoch ms for a specific date and time, in OpenNMS's `21-Feb-2005 11:59:56` or ISO 8601
 * `2005-02-21T11:59:56` (with or without an offset), or undefined.
 */
function parseDateTime(text: string, zone: Zone): number | undefined {
  const trimmed = text.trim();
  // Parsed in UTC only to read the wall-clock fields; the zone is applied by resolveWallClock
  // so that DST gaps and overlaps are handled the same as for recurring windows.
  const opennms = DateTime.fromFormat(trimmed, OPENNMS_FORMAT, { zone: 'utc', locale: 'en-US' });
  if (opennms.isValid) return resolveWallClock(opennms.toMillis(), zone);
  // A date alone would silently mean midnight; OpenNMS's format always has a time too.
  const timePart = /^[^T]+T(.+)$/.exec(trimmed)?.[1];
  if (timePart === undefined) return undefined;
  if (/(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(timePart)) {
    const withOffset = DateTime.fromISO(trimmed);
    return withOffset.isValid ? withOffset.toMillis() : undefined;
  }
  const iso = DateTime.fromISO(trimmed, { zone: 'utc' });
  return iso.isValid ? resolveWallClock(iso.toMillis(), zone) : undefined;
}

function dateTimeProblem(attribute: string, value: string): string {
  return (
    `attribute ${attribute} must be a date and time like 21-Feb-2005 11:59:56 or 2005-02-21T11:59:56, ` +
    `got "${value}"`
  );
}

/** The zone to read wall-clock times in: the named one, else the backend's local zone. */
function zoneFor(timeZone: string | undefined): Zone {
  return timeZone === undefined ? Settings.defaultZone : IANAZone.create(timeZone);
}

function evaluationZone(timeZone: string | undefined): Zone {
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
  return zoneFor(timeZone);
}
