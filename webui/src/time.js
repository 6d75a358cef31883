/**
 * Times as people read them: in the viewer's time zone (the browser's),
 * relative where that is what matters ("2 min ago"), with the exact time in
 * the element's title and `datetime` attribute. Plain Date and
 * Intl.DateTimeFormat, one formatter per style made once: a page of a few
 * hundred rows formats a few hundred times, and a date library (luxon was a
 * third of the bundle) costs every page its download and compile.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A formatter made at its first use: making one costs milliseconds (the
 * first, tens of them), and a page uses one or two of these styles.
 * @param {Intl.DateTimeFormatOptions} options
 */
function formatter(options) {
  /** @type {Intl.DateTimeFormat | undefined} */
  let made;
  return () => (made ??= new Intl.DateTimeFormat(undefined, options));
}
const FULL = formatter({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const TIME_OF_DAY = formatter({ hour: 'numeric', minute: '2-digit', second: '2-digit' });
const THIS_YEAR = formatter({ day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const OTHER_YEAR = formatter({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const DEFAULTS = formatter({});

/**
 * Makes the formatter of exact times (every time element's title), to be
 * called while the page has nothing else to do: the first Intl formatter in a
 * new browser tab costs tens of milliseconds (ICU loading its locale data),
 * which would otherwise fall on the first render.
 */
export function prepareTimeFormat() {
  FULL().format(0);
}

/** "21 Nov 2026, 08:39:57" in the viewer's zone. */
export function formatTime(/** @type {number | null | undefined} */ ms) {
  if (ms === null || ms === undefined) return '—';
  return FULL().format(ms);
}

/** Shorter, for tables: "08:39:57" today, "21 Nov 08:39" this year, else with the year. */
export function formatShort(/** @type {number | null | undefined} */ ms, nowMs = Date.now()) {
  if (ms === null || ms === undefined) return '—';
  const t = new Date(ms);
  const now = new Date(nowMs);
  if (t.getFullYear() !== now.getFullYear()) return OTHER_YEAR().format(t);
  if (t.getMonth() === now.getMonth() && t.getDate() === now.getDate()) return TIME_OF_DAY().format(t);
  return THIS_YEAR().format(t);
}

/** "+01:00", "-05:30": the offset from UTC of the viewer's zone at `ms`. */
export function utcOffset(/** @type {number} */ ms) {
  const minutes = -new Date(ms).getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The zone the page shows times in, e.g. "Europe/Paris (UTC+01:00)". */
export function zoneName() {
  return `${DEFAULTS().resolvedOptions().timeZone} (UTC${utcOffset(Date.now())})`;
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
