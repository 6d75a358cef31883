/**
 * Compact pictures of a service over a window: a status history (one bar
 * per period: up, down, both, or no result) and a response-time sparkline.
 * Both come with their meaning in words for screen readers and in tooltips.
 * The services list draws a few hundred of each, so they come as markup
 * (markup.js) as well as the status history's component.
 */
import { html } from 'htm/preact';
import { ms } from './format.js';
import { markup } from './markup.js';
import { formatTime } from './time.js';

const PERIOD = /** @type {Record<string, { cls: string }>} */ ({
  u: { cls: 'bar-up' },
  d: { cls: 'bar-down' },
  p: { cls: 'bar-partial' },
  '-': { cls: 'bar-none' },
});

/**
 * @typedef {{ history: string, firstPeriodMs: number, stepMs: number, label: string, testid?: string }} StatusBarsProps
 *   `history`: a letter per period, oldest first (GET /api/services).
 */

/** What the status history draws and says. @param {StatusBarsProps} props */
function statusBars({ history, firstPeriodMs, stepMs, label }) {
  const letters = [...history];
  let down = 0;
  let none = 0;
  for (const c of letters) {
    if (c === 'd' || c === 'p') down++;
    else if (c === '-') none++;
  }
  const summary =
    down === 0
      ? `${label}: no downtime in ${letters.length - none} of ${letters.length} periods with results`
      : `${label}: down in ${down} of ${letters.length} periods`;
  const from = formatTime(firstPeriodMs);
  return {
    down,
    viewBox: `0 0 ${letters.length * 4} 16`,
    ariaLabel: `${summary}, since ${from}`,
    title: `${summary}, since ${from} (${letters.length} periods of ${Math.round(stepMs / 60_000)} min)`,
    // One SVG per row, one path per kind of period: a few hundred rows stay light (not 48 elements each).
    paths: Object.entries(pathsByKind(letters)),
  };
}

/** @param {StatusBarsProps} props */
export function StatusBars(props) {
  const b = statusBars(props);
  return html`<svg class="bars" viewBox=${b.viewBox} preserveAspectRatio="none" role="img" aria-label=${b.ariaLabel} data-testid=${props.testid} data-down-periods=${b.down}>
    <title>${b.title}</title>
    ${b.paths.map(([cls, d]) => html`<path class=${cls} d=${d} />`)}
  </svg>`;
}

/** The same status history as markup. @param {StatusBarsProps} props */
export function statusBarsMarkup(props) {
  const b = statusBars(props);
  return markup`<svg class="bars" viewBox="${b.viewBox}" preserveAspectRatio="none" role="img" aria-label="${b.ariaLabel}"${props.testid ? markup` data-testid="${props.testid}"` : ''} data-down-periods="${b.down}"><title>${b.title}</title>${b.paths.map(([cls, d]) => markup`<path class="${cls}" d="${d}"/>`)}</svg>`;
}

/** A path of 3-unit bars per kind of period, keyed by its class. @param {string[]} letters */
function pathsByKind(letters) {
  /** @type {Record<string, string>} */
  const paths = {};
  letters.forEach((c, i) => {
    const cls = (PERIOD[c] ?? PERIOD['-'])?.cls ?? 'bar-none';
    paths[cls] = `${paths[cls] ?? ''}M${i * 4} 0h3v16h-3z`;
  });
  return paths;
}

/**
 * A line of the mean response time per period, scaled to its own maximum
 * (the figure beside it says how fast); gaps where a period has no result;
 * a lone point between gaps is a dot.
 * @param {(number | null)[]} values
 * @param {string} label
 */
export function sparklineMarkup(values, label) {
  const known = /** @type {number[]} */ (values.filter((v) => v !== null));
  if (known.length === 0) return markup`<span class="spark-empty muted small">no response times</span>`;
  const max = Math.max(...known, 1);
  const width = 100;
  const height = 24;
  const x = (/** @type {number} */ i) => (values.length <= 1 ? width / 2 : (i / (values.length - 1)) * width);
  const y = (/** @type {number} */ v) => height - 2 - (v / max) * (height - 4);
  /** @type {[string, string][][]} */
  const runs = [];
  /** @type {[string, string][]} */
  let run = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (run.length) runs.push(run);
      run = [];
      return;
    }
    run.push([x(i).toFixed(1), y(v).toFixed(1)]);
  });
  if (run.length) runs.push(run);
  const text = `${label}: response time up to ${ms(max)}, latest ${ms(known[known.length - 1])}`;
  return markup`<svg class="spark" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="${text}"><title>${text}</title>${runs.map((points) =>
    points.length > 1 ? markup`<polyline points="${points.map((p) => p.join(',')).join(' ')}"/>` : markup`<circle cx="${points[0]?.[0]}" cy="${points[0]?.[1]}" r="1.5"/>`,
  )}</svg>`;
}
