/**
 * Long lists shown a screenful first: the first rows render at once, the
 * rest in chunks between frames, so a list of a few hundred rich rows
 * (status bars, sparklines) is on screen in the time a screenful takes,
 * and the page stays responsive while the rest arrives.
 */
import { useEffect, useState } from 'preact/hooks';
import { cancelIdle, whenIdle } from './idle.js';

/**
 * The least height of a list's rows, in CSS pixels: side by side in a table
 * (`wide`), and as cards, one field a line, on a narrow screen (`narrow`,
 * the stylesheet's max-width 760px). Measured with short values at 1366 and
 * 390 px: a row with more in it is taller, and the first render then has a
 * row or two more than the window shows, never fewer.
 * @typedef {{ wide: number, narrow: number }} RowHeight
 */

/** The narrow layout's query, as in styles.css. */
const NARROW = '(max-width: 760px)';

/**
 * The least space above a list: the navigation, the page's title and its
 * filters (some 245 px at 1366 px wide, 385 px at 390 px, where the
 * navigation takes three lines).
 */
const LIST_TOP = { wide: 240, narrow: 380 };

/**
 * Rows in the first render: as many of the list's shortest rows as fit in
 * the window below the least space above the list: the first picture is a
 * full window, and each row more would delay it (a rich row costs its
 * script, style, layout and paint in a tab that has just opened: 18 cards
 * of 330 px on a phone cost as much as a window of 17 more). The rest
 * follow within the next idle moments.
 * @param {RowHeight} rowHeight
 */
function firstRows(rowHeight) {
  const narrow = typeof window.matchMedia === 'function' && window.matchMedia(NARROW).matches;
  const height = narrow ? rowHeight.narrow : rowHeight.wide;
  const top = narrow ? LIST_TOP.narrow : LIST_TOP.wide;
  return Math.max(2, Math.ceil(((window.innerHeight || 900) - top) / height));
}
/** Rows added per later chunk. */
const STEP = 60;

/**
 * How many of `total` rows to render now: a screenful at the first render, then
 * growing by STEP until all are shown; once all were shown, always all
 * (a refresh or a filter re-renders the whole list at once).
 * @param {number} total
 * @param {RowHeight} rowHeight the least height of the list's rows
 */
export function useProgressiveCount(total, rowHeight) {
  const [limit, setLimit] = useState(() => firstRows(rowHeight));
  const growing = limit !== Infinity && total > 0;
  useEffect(() => {
    if (!growing) return undefined;
    const id = whenIdle(() => setLimit((n) => (n + STEP >= total ? Infinity : n + STEP)));
    return () => cancelIdle(id);
  }, [growing, limit, total]);
  return Math.min(limit, total);
}
