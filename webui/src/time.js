/**
 * Times as people read them: in the viewer's time zone (luxon's default,
 * the browser's), relative where that is what matters ("2 min ago"), with
 * the exact time in the element's title and `datetime` attribute.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { DateTime } from 'luxon';

/** @param {number} ms epoch milliseconds */
export const toDateTime = (ms) => DateTime.fromMillis(ms);

/** "21 Nov 2026, 08:39:57" in the viewer's zone. */
export function formatTime(/** @type {number | null | undefined} */ ms) {
  if (ms === null || ms === undefined) return '—';
  return toDateTime(ms).toLocaleString({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Shorter, for tables: "08:39:57" today, "21 Nov 08:39" this year, else with the year. */
export function formatShort(/** @type {number | null | undefined} */ ms) {
  if (ms === null || ms === undefined) return '—';
  const t = toDateTime(ms);
  const now = DateTime.now();
  if (t.hasSame(now, 'day')) return t.toLocaleString(DateTime.TIME_WITH_SECONDS);
  if (t.hasSame(now, 'year')) return t.toLocaleString({ day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  return t.toLocaleString({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** The zone the page shows times in, e.g. "Europe/Paris (UTC+1)". */
export function zoneName() {
  const now = DateTime.now();
  return `${now.zoneName} (UTC${now.toFormat('ZZ')})`;
}

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

/** Value for an `<input type="datetime-local">` from epoch ms, in the viewer's zone. */
export function toInputValue(/** @type {number} */ ms) {
  return toDateTime(ms).toFormat("yyyy-MM-dd'T'HH:mm");
}

/** Epoch ms from an `<input type="datetime-local">` value, or null when empty or invalid. */
export function fromInputValue(/** @type {string} */ value) {
  if (!value) return null;
  const t = DateTime.fromISO(value);
  return t.isValid ? t.toMillis() : null;
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
  return html`<time datetime=${toDateTime(ms).toISO()} title=${formatTime(ms)}>${text}</time>`;
}
