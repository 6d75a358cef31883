/**
 * Response-time charts with uPlot: one line per series (a monitor, a
 * location or a service), the average per point, times in the viewer's
 * zone. Drag across the plot to zoom into a time range; double-click to
 * see the whole range again. uPlot is a module of its own, loaded by the
 * first chart (the pages without charts never load it); a service's page
 * runs it before the app (chart-library.js).
 */
import { html } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ms as formatMs } from './format.js';
import { formatTime } from './time.js';

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
/** Line styles on top of colours, so series differ by more than hue. */
const DASHES = [[], [6, 3], [2, 2], [10, 3, 2, 3]];

/** @type {Promise<typeof import('uplot')> | undefined} */
let uPlotLoading;
/** @type {typeof import('uplot') | undefined} */
let uPlotLoaded;
/**
 * The chart library, loaded at its first use (or before it, by the page
 * that knows a chart is coming: app.js), unless the page ran it already
 * (chart-library.js); a failed load is tried again at the next.
 */
export function loadUPlot() {
  /** @type {typeof import('uplot') | undefined} */
  const ranAlready = /** @type {any} */ (globalThis).vantageUPlot;
  if (ranAlready) uPlotLoading ??= Promise.resolve((uPlotLoaded = ranAlready));
  uPlotLoading ??= import('./chart-library.js').then(
    (module) => (uPlotLoaded = module.default),
    (/** @type {unknown} */ err) => {
      uPlotLoading = undefined;
      throw err;
    },
  );
  return uPlotLoading;
}

/**
 * @typedef {import('./rest.js').SeriesPoint} SeriesPoint
 * @typedef {{ label: string, points: SeriesPoint[] }} ChartSeries
 */

/**
 * Aligns the series on one time axis (seconds, as uPlot wants), with gaps
 * (null) where a series has no point at a time.
 * @param {typeof import('uplot')} uPlot
 * @param {ChartSeries[]} series
 * @returns {uPlot.AlignedData}
 */
export function alignSeries(uPlot, series) {
  const tables = series.map((s) => /** @type {uPlot.AlignedData} */ ([s.points.map((p) => p.t / 1000), s.points.map((p) => p.avg)]));
  const [first] = tables;
  if (first && tables.length === 1) return first;
  return uPlot.join(tables);
}

/**
 * `outages`: spans to shade behind the lines (a service's outages), so an
 * outage shows as what it is, not only as a gap.
 * @param {{ series: ChartSeries[], fromMs: number, toMs: number, title: string, height?: number, testid?: string, outages?: { fromMs: number, toMs: number }[] }} props
 */
export function ResponseChart({ series, fromMs, toMs, title, height = 220, testid, outages = [] }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const plot = useRef(/** @type {uPlot | null} */ (null));
  /** Whether the user zoomed in: a data refresh then keeps the zoom. */
  const zoomed = useRef(false);
  const range = useRef({ fromMs, toMs });
  range.current = { fromMs, toMs };
  const shaded = useRef(outages);
  shaded.current = outages;
  const withData = series.filter((s) => s.points.some((p) => p.avg !== null));
  /** The lines as they are now: the library may arrive after a refresh. */
  const latest = useRef(withData);
  latest.current = withData;
  const [loadError, setLoadError] = useState(/** @type {unknown} */ (null));
  const labelsKey = withData.map((s) => s.label).join('\u0000');

  // The plot itself: made again only when the lines it has change. Made as soon as the element is in the
  // document, so that with the library already here the page's first frame has its chart.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el || withData.length === 0) return undefined;
    let gone = false;
    /** @type {ResizeObserver | undefined} */
    let resize;
    const draw = (/** @type {typeof import('uplot')} */ uPlot) => {
      if (gone) return;
      const fullRange = () => ({ min: range.current.fromMs / 1000, max: range.current.toMs / 1000 });
      /** @type {uPlot.Options} */
      const options = {
        width: Math.max(el.clientWidth, 240),
        height,
        scales: { x: { time: true, range: (u, min, max) => (zoomed.current ? [min, max] : [fullRange().min, fullRange().max]) }, y: { range: (_u, _min, max) => [0, niceMax(max)] } },
        axes: [
          { stroke: '#4b5565', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#dde2ea' } },
          { stroke: '#4b5565', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#dde2ea' }, size: 64, values: (_u, splits) => splits.map((v) => formatMs(v)) },
        ],
        series: [
          { label: 'Time', value: (_u, v) => (v === null || v === undefined ? '—' : formatTime(v * 1000)) },
          ...withData.map((s, i) => ({
            label: s.label,
            stroke: PALETTE[i % PALETTE.length],
            width: 1.75,
            dash: DASHES[i % DASHES.length],
            spanGaps: false,
            value: (/** @type {uPlot} */ _u, /** @type {number | null} */ v) => formatMs(v),
          })),
        ],
        cursor: { drag: { x: true, y: false, setScale: true } },
        legend: { live: true },
        hooks: {
          // Outages first, under the lines: a translucent band each, with a solid edge where it starts.
          drawClear: [
            (u) => {
              const { ctx } = u;
              const top = u.bbox.top;
              const bottom = u.bbox.top + u.bbox.height;
              ctx.save();
              for (const o of shaded.current) {
                const left = Math.max(u.bbox.left, u.valToPos(o.fromMs / 1000, 'x', true));
                const right = Math.min(u.bbox.left + u.bbox.width, u.valToPos(o.toMs / 1000, 'x', true));
                if (right <= left) continue;
                ctx.fillStyle = 'rgba(217, 58, 43, 0.14)';
                ctx.fillRect(left, top, Math.max(right - left, 2), bottom - top);
                ctx.fillStyle = 'rgba(217, 58, 43, 0.7)';
                ctx.fillRect(left, top, 2, bottom - top);
              }
              ctx.restore();
            },
          ],
          setSelect: [
            (u) => {
              if (u.select.width > 0) zoomed.current = true;
            },
          ],
          ready: [
            (u) => {
              // Double-click: the whole range asked for, not only the span that has data.
              u.over.addEventListener('dblclick', () => {
                zoomed.current = false;
                u.setScale('x', fullRange());
              });
              u.over.setAttribute('title', 'Drag across to zoom in; double-click to zoom out');
            },
          ],
        },
      };
      zoomed.current = false;
      plot.current = new uPlot(options, alignSeries(uPlot, latest.current), el);
      resize = new ResizeObserver(() => {
        const w = Math.max(el.clientWidth, 240);
        if (plot.current && Math.abs(plot.current.width - w) > 1) plot.current.setSize({ width: w, height });
      });
      resize.observe(el);
    };
    setLoadError(null);
    if (uPlotLoaded) draw(uPlotLoaded);
    else
      loadUPlot().then(draw, (/** @type {unknown} */ err) => {
        if (!gone) setLoadError(err);
      });
    return () => {
      gone = true;
      resize?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labelsKey, height]);

  // New points (a refresh): the same plot, the zoom kept if the user zoomed in.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const u = plot.current;
    // No plot yet (the library is loading): it is made with the lines as they are then.
    if (!u || !uPlotLoaded || withData.length === 0) return;
    const min = u.scales.x?.min;
    const max = u.scales.x?.max;
    u.setData(alignSeries(uPlotLoaded, withData), true);
    if (zoomed.current && min !== undefined && max !== undefined) u.setScale('x', { min, max });
  }, [series, fromMs, toMs, outages]);

  const summary = withData.map((s) => `${s.label}: average ${formatMs(average(s.points))}`).join('; ');
  return html`<figure class="chart" data-testid=${testid}>
    <figcaption>${title}</figcaption>
    ${withData.length === 0
      ? html`<p class="empty chart-empty">No response times in this range.</p>`
      : loadError
        ? html`<p class="empty chart-empty" role="alert">The chart could not be loaded (${loadError instanceof Error ? loadError.message : String(loadError)}). Reload the page to try again.</p>`
        : html`<div class="chart-box" ref=${box} role="img" aria-label=${`Response time chart, ${title}. ${summary}. Drag to zoom, double-click to reset.`}></div>
          <p class="chart-hint muted">Drag across the chart to zoom in; double-click to zoom out.</p>
          ${outages.length ? html`<p class="chart-key muted small"><span class="key-outage" aria-hidden="true"></span> Shaded: outages (${outages.length}).</p>` : null}`}
  </figure>`;
}

/** @param {SeriesPoint[]} points */
function average(points) {
  let sum = 0;
  let n = 0;
  for (const p of points) {
    if (p.avg === null || !p.count) continue;
    sum += p.avg * p.count;
    n += p.count;
  }
  return n ? sum / n : null;
}

/** A round upper bound for the y axis. */
function niceMax(/** @type {number | null} */ max) {
  if (max === null || !Number.isFinite(max) || max <= 0) return 10;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (max * 1.1 <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}
