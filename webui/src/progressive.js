/**
 * Long lists shown a screenful first: the first rows render at once, the
 * rest in chunks between frames, so a list of a few hundred rich rows
 * (status bars, sparklines) is on screen in the time a screenful takes,
 * and the page stays responsive while the rest arrives.
 */
import { useEffect, useState } from 'preact/hooks';

/**
 * Rows in the first render: a screenful of this window, at the height of the
 * list's shortest rows (by default some 50 px, the events list's at 1366 px
 * wide; the services list's are 60 to 85, the alarms' 130): 18 rows in a
 * 900 px high window, 29 in a 1,440 px one. Each row more delays the first
 * picture; the rest follow within the next idle moments.
 */
const firstRows = (rowHeight = 50) => Math.max(6, Math.ceil((window.innerHeight || 900) / rowHeight));
/** Rows added per later chunk. */
const STEP = 60;

// Safari has no requestIdleCallback: a timeout does the same job there.
const idle = typeof window.requestIdleCallback === 'function';
const later = (/** @type {() => void} */ run) => (idle ? window.requestIdleCallback(run, { timeout: 100 }) : window.setTimeout(run, 0));
const cancelLater = (/** @type {number} */ id) => (idle ? window.cancelIdleCallback(id) : window.clearTimeout(id));

/**
 * How many of `total` rows to render now: a screenful at the first render, then
 * growing by STEP until all are shown; once all were shown, always all
 * (a refresh or a filter re-renders the whole list at once).
 * @param {number} total
 * @param {number} [rowHeight] the least height of a row, in CSS pixels
 */
export function useProgressiveCount(total, rowHeight) {
  const [limit, setLimit] = useState(() => firstRows(rowHeight));
  const growing = limit !== Infinity && total > 0;
  useEffect(() => {
    if (!growing) return undefined;
    const id = later(() => setLimit((n) => (n + STEP >= total ? Infinity : n + STEP)));
    return () => cancelLater(id);
  }, [growing, limit, total]);
  return Math.min(limit, total);
}
