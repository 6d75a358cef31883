/**
 * Long lists shown a screenful first: the first rows render at once, the
 * rest in chunks between frames, so a list of a few hundred rich rows
 * (status bars, sparklines) is on screen in the time a screenful takes,
 * and the page stays responsive while the rest arrives.
 */
import { useEffect, useState } from 'preact/hooks';

/**
 * Rows in the first render: a screenful of the tallest list rows (the services
 * list's are some 70 px at 1366 px wide: 24 rows fill 1,700 px). Each row more
 * delays the first picture; the rest follow within the next idle moments.
 */
const FIRST = 24;
/** Rows added per later chunk. */
const STEP = 60;

// Safari has no requestIdleCallback: a timeout does the same job there.
const idle = typeof window.requestIdleCallback === 'function';
const later = (/** @type {() => void} */ run) => (idle ? window.requestIdleCallback(run, { timeout: 100 }) : window.setTimeout(run, 0));
const cancelLater = (/** @type {number} */ id) => (idle ? window.cancelIdleCallback(id) : window.clearTimeout(id));

/**
 * How many of `total` rows to render now: FIRST at the first render, then
 * growing by STEP until all are shown; once all were shown, always all
 * (a refresh or a filter re-renders the whole list at once).
 * @param {number} total
 */
export function useProgressiveCount(total) {
  const [limit, setLimit] = useState(FIRST);
  const growing = limit !== Infinity && total > 0;
  useEffect(() => {
    if (!growing) return undefined;
    const id = later(() => setLimit((n) => (n + STEP >= total ? Infinity : n + STEP)));
    return () => cancelLater(id);
  }, [growing, limit, total]);
  return Math.min(limit, total);
}
