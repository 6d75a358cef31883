/**
 * Times as people read them: in the viewer's time zone (the browser's),
 * relative where that is what matters ("2 min ago"), with the exact time in
 * the element's title and `datetime` attribute. One format for every viewer,
 * day before month and 24 hours ("21 Nov 2026, 08:39:57"), as the rest of
 * the page's English: no time reads differently on two operators' screens.
 * Written out from Date's fields rather than by Intl.DateTimeFormat: the
 * first Intl formatter in a new browser tab costs tens of milliseconds (ICU
 * loading its locale data), which fell on every page's first render (and a
 * date library, luxon was a third of the bundle, costs every page its
 * download and compile).
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { cancelIdle, whenIdle } from './idle.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "08:39:57" */
const clock = (/** @type {Date} */ t) => `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
/** "21 Nov" */
const dayOfYear = (/** @type {Date} */ t) => `${t.getDate()} ${MONTHS[t.getMonth()]}`;

/** "21 Nov 2026, 08:39:57" in the viewer's zone. */
export function formatTime(/** @type {number | null | undefined} */ ms) {
  if (ms === null || ms === undefined) return '—';
  const t = new Date(ms);
  return `${dayOfYear(t)} ${t.getFullYear()}, ${clock(t)}`;
}

/** Shorter, for tables: "08:39:57" today, "21 Nov, 08:39" this year, else with the year. */
export function formatShort(/** @type {number | null | undefined} */ ms, nowMs = Date.now()) {
  if (ms === null || ms === undefined) return '—';
  const t = new Date(ms);
  const now = new Date(nowMs);
  const minutes = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  if (t.getFullYear() !== now.getFullYear()) return `${dayOfYear(t)} ${t.getFullYear()}, ${minutes}`;
  if (t.getMonth() === now.getMonth() && t.getDate() === now.getDate()) return clock(t);
  return `${dayOfYear(t)}, ${minutes}`;
}

/** "+01:00", "-05:30": the offset from UTC of the viewer's zone at `ms`. */
export function utcOffset(/** @type {number} */ ms) {
  const minutes = -new Date(ms).getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The zone the page shows times in, e.g. "Europe/Paris (UTC+01:00)" (its name is Intl's: see ZoneName). */
export function zoneName() {
  return `${new Intl.DateTimeFormat().resolvedOptions().timeZone} (UTC${utcOffset(Date.now())})`;
}

/** The zone's name once asked for (it does not change while the page is open). */
let knownZoneName = '';

/**
 * The zone the page shows times in: its offset ("UTC+01:00") at first, and
 * its name with the offset once the browser has time to spare. The name
 * comes from Intl, whose first use in a new tab costs tens of milliseconds,
 * which the page's first render does not wait for.
 */
export function ZoneName() {
  const [name, setName] = useState(() => knownZoneName || `UTC${utcOffset(Date.now())}`);
  useEffect(() => {
    if (knownZoneName) return;
    const named = () => setName((knownZoneName = zoneName()));
    const idle = whenIdle(named, 2000);
    return () => cancelIdle(idle);
  }, []);
  return html`<span data-testid="zone-name">${name}</span>`;
}

const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');

/**
 * "just now", "45 s ago", "2 min ago", "3 h ago", "2 days ago"; "in 3 min" for
 * the future. Beyond 30 days, the date.
 * @param {number | null | undefined} ms
 * @param {number} [nowMs]
 */
export function relative(ms, nowMs = Date.now()) {
  if (ms === null || ms === undefined) return 'never';
  const diff = nowMs - ms;
  const abs = Math.abs(diff);
  if (abs < 5_000) return 'just now';
  let text;
  if (abs < 60_000) text = `${Math.round(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.round(abs / 3_600_000)} h`;
  else if (abs < 30 * 86_400_000) {
    const days = Math.round(abs / 86_400_000);
    text = `${days} ${days === 1 ? 'day' : 'days'}`;
  } else return formatShort(ms);
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** "3 h 5 min", "42 s", "2 days 4 h": the two largest units. */
export function formatDuration(/** @type {number} */ ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const units = /** @type {[number, string][]} */ ([
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ]);
  const parts = [];
  let rest = ms;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) {
      if (n > 0) parts.push(`${n} ${name}`);
      rest -= n * size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ') || '0 s';
}

/** Whether this tab has made a date and time input already (then the next ones are made at once). */
let dateInputsMade = false;

/**
 * An `<input type="datetime-local">`, made once the browser is idle: the
 * first one in a new tab costs some 20 ms (its fields, in the viewer's
 * locale), which the page's first picture does not wait for. Until then an
 * empty text input, which is as high, holds its place.
 * @param {{ id: string, value: string, onChange: (value: string) => void, testid?: string }} props
 */
export function DateTimeInput({ id, value, onChange, testid }) {
  const [made, setMade] = useState(dateInputsMade);
  useEffect(() => {
    if (made) return undefined;
    const idle = whenIdle(() => setMade((dateInputsMade = true)), 500);
    return () => cancelIdle(idle);
  }, []);
  if (!made) return html`<input class="input-pending" type="text" disabled tabindex="-1" aria-hidden="true" />`;
  return html`<input id=${id} type="datetime-local" value=${value} onChange=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => onChange(e.currentTarget.value)} data-testid=${testid} />`;
}

/** Value for an `<input type="datetime-local">` from epoch ms, in the viewer's zone: "2026-11-21T08:39". */
export function toInputValue(/** @type {number} */ ms) {
  const t = new Date(ms);
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

const INPUT_VALUE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * Epoch ms from an `<input type="datetime-local">` value (the viewer's zone),
 * or null when empty or not a real date and time ("2026-02-30T10:00").
 * @param {string} value
 */
export function fromInputValue(value) {
  const m = INPUT_VALUE.exec(value);
  if (!m) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const milli = Number((m[7] ?? '0').padEnd(3, '0'));
  if (hour > 23 || minute > 59 || second > 59) return null;
  const t = new Date(year, month - 1, day, hour, minute, second, milli);
  // Date rolls 30 February over into March: a date that does not come back as written is not one.
  // (A time skipped by a change to summer time moves forward an hour, as the clocks did.)
  return t.getFullYear() === year && t.getMonth() + 1 === month && t.getDate() === day ? t.getTime() : null;
}

/** One clock for every relative time on the page (not a timer per element). */
const tickers = /** @type {Set<() => void>} */ (new Set());
/** @type {ReturnType<typeof setInterval> | null} */
let tickTimer = null;
const TICK_MS = 10_000;

/**
 * Re-renders the calling component every 10 s while `enabled`, for times
 * that read relative to now; returns now.
 */
export function useNow(enabled = true) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!enabled) return;
    const tick = () => setNow(Date.now());
    tickers.add(tick);
    tickTimer ??= setInterval(() => {
      for (const fn of tickers) fn();
    }, TICK_MS);
    return () => {
      tickers.delete(tick);
      if (tickers.size === 0 && tickTimer) {
        clearInterval(tickTimer);
        tickTimer = null;
      }
    };
  }, [enabled]);
  return now;
}

/**
 * A `<time>` element: relative text (kept fresh), exact time in the title.
 * @param {{ ms: number | null | undefined, mode?: 'relative' | 'short' | 'full' }} props
 */
export function Time({ ms, mode = 'relative' }) {
  useNow(mode === 'relative');
  if (ms === null || ms === undefined) return html`<span class="muted">${mode === 'relative' ? 'never' : '—'}</span>`;
  const text = mode === 'relative' ? relative(ms) : mode === 'short' ? formatShort(ms) : formatTime(ms);
  return html`<time datetime=${new Date(ms).toISOString()} title=${formatTime(ms)}>${text}</time>`;
}
