/**
 * Compact pictures of a service over a window: a status history (one bar
 * per period: up, down, both, or no result) and a response-time sparkline.
 * Both come with their meaning in words for screen readers and in tooltips.
 */
import { html } from 'htm/preact';
import { ms } from './format.js';
import { formatTime } from './time.js';

const PERIOD = /** @type {Record<string, { cls: string }>} */ ({
  u: { cls: 'bar-up' },
  d: { cls: 'bar-down' },
  p: { cls: 'bar-partial' },
  '-': { cls: 'bar-none' },
});

/**
 * @param {{ history: string, firstPeriodMs: number, stepMs: number, label: string, testid?: string }} props
 *   `history`: a letter per period, oldest first (GET /api/services).
 */
export function StatusBars({ history, firstPeriodMs, stepMs, label, testid }) {
  const letters = [...history];
  const down = letters.filter((c) => c === 'd' || c === 'p').length;
  const none = letters.filter((c) => c === '-').length;
  const summary =
    down === 0
      ? `${label}: no downtime in ${letters.length - none} of ${letters.length} periods with results`
      : `${label}: down in ${down} of ${letters.length} periods`;
  const from = formatTime(firstPeriodMs);
  // One SVG per row, one path per kind of period: a few hundred rows stay light (not 48 elements each).
  return html`<svg class="bars" viewBox=${`0 0 ${letters.length * 4} 16`} preserveAspectRatio="none" role="img" aria-label=${`${summary}, since ${from}`}
    data-testid=${testid} data-down-periods=${down}>
    <title>${summary}, since ${from} (${letters.length} periods of ${Math.round(stepMs / 60_000)} min)</title>
    ${Object.entries(pathsByKind(letters)).map(([cls, d]) => html`<path class=${cls} d=${d} />`)}
  </svg>`;
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
 * (the figure beside it says how fast); gaps where a period has no result.
 * @param {{ values: (number | null)[], label: string }} props
 */
export function Sparkline({ values, label }) {
  const known = /** @type {number[]} */ (values.filter((v) => v !== null));
  if (known.length === 0) return html`<span class="spark-empty muted small">no response times</span>`;
  const max = Math.max(...known, 1);
  const width = 100;
  const height = 24;
  const x = (/** @type {number} */ i) => (values.length <= 1 ? width / 2 : (i / (values.length - 1)) * width);
  const y = (/** @type {number} */ v) => height - 2 - (v / max) * (height - 4);
  /** @type {string[]} */
  const runs = [];
  let run = '';
  values.forEach((v, i) => {
    if (v === null) {
      if (run) runs.push(run);
      run = '';
      return;
    }
    run += `${run ? ' ' : ''}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  if (run) runs.push(run);
  const text = `${label}: response time up to ${ms(max)}, latest ${ms(known[known.length - 1])}`;
  return html`<svg class="spark" viewBox=${`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label=${text}>
    <title>${text}</title>
    ${runs.map((points) => (points.includes(' ') ? html`<polyline points=${points} />` : html`<circle cx=${points.split(',')[0]} cy=${points.split(',')[1]} r="1.5" />`))}
  </svg>`;
}
