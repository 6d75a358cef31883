/**
 * Availability (the home page): applications (rows) × locations (columns),
 * each cell the availability over the chosen window and the state now, by
 * colour and by text, with the coverage when some of the window had no
 * data. A cell opens its detail below the matrix. The window and the open
 * cell live in the address: `/availability?window=7d&app=Shop&location=RDU`.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Empty, ErrorBox, Loading, STATES, StateBadge, TableWrap, stateClass, useResource } from '../components.js';
import { countOf, percent } from '../format.js';
import { useLiveRefresh } from '../live.js';
import { useProgressiveCount } from '../progressive.js';
import { href, navigate } from '../router.js';
import { getAvailability, getLocations } from '../rest.js';
import { formatTime, fromInputValue, toInputValue, ZoneName } from '../time.js';
import { LocationMap } from '../location-map.js';
import { CellDetail } from './cell-detail.js';

/** The window shown when the address names none (or an unknown one). */
const DEFAULT_WINDOW = { key: '24h', label: '24 hours', ms: 24 * 3_600_000 };
/** The windows offered; the server names 24h, 7d and 30d, the short ones are asked for as a range ending now. */
export const WINDOWS = [
  { key: '1h', label: '1 hour', ms: 3_600_000 },
  { key: '6h', label: '6 hours', ms: 6 * 3_600_000 },
  DEFAULT_WINDOW,
  { key: '7d', label: '7 days', ms: 7 * 24 * 3_600_000 },
  { key: '30d', label: '30 days', ms: 30 * 24 * 3_600_000 },
];

/**
 * The window the query asks for.
 * @param {URLSearchParams} query
 * @returns {{ key: string, fromMs?: number, toMs?: number, label: string, range: () => { fromMs: number, toMs: number } }}
 */
export function windowFromQuery(query) {
  const key = query.get('window') ?? '24h';
  const from = Number(query.get('from'));
  const to = Number(query.get('to'));
  if (key === 'custom' && Number.isSafeInteger(from) && Number.isSafeInteger(to) && from > 0 && from < to) {
    return { key, fromMs: from, toMs: to, label: `${formatTime(from)} – ${formatTime(to)}`, range: () => ({ fromMs: from, toMs: to }) };
  }
  const preset = WINDOWS.find((w) => w.key === key) ?? DEFAULT_WINDOW;
  return {
    key: preset.key,
    label: `the last ${preset.label}`,
    range: () => {
      const now = Date.now();
      return { fromMs: now - preset.ms, toMs: now };
    },
  };
}

/** @typedef {import('../rest.js').Cell} Cell */
/** @typedef {ReturnType<typeof monitoringOf>} Monitoring */
/** @typedef {import('../rest.js').Matrix & { locations: Map<string, Monitoring>, places: import('../rest.js').Location[] }} Matrix */

const SERVER_WINDOWS = new Set(['24h', '7d', '30d']);

/**
 * How a location's monitors stand now: how many are checking (STARTED) of
 * those admitted, and, when none is checking, why: every one paused, one
 * disconnected, or stopped. This turns a cell's "no data" into the reason.
 * @param {import('../rest.js').Location} location
 */
export function monitoringOf(location) {
  const by = location.monitorsByStatus;
  const n = (/** @type {string} */ status) => by[status] ?? 0;
  const admitted = Object.entries(by)
    .filter(([status]) => !['PENDING', 'DENIED', 'REVOKED', 'DELETED'].includes(status))
    .reduce((sum, [, count]) => sum + count, 0);
  const checking = n('STARTED');
  /** @type {'paused' | 'disconnected' | 'stopped' | null} */
  let idle = null;
  if (admitted > 0 && checking === 0) idle = n('PAUSED') === admitted ? 'paused' : n('DISCONNECTED') > 0 ? 'disconnected' : n('STOPPED') > 0 ? 'stopped' : n('PAUSED') > 0 ? 'paused' : null;
  return { admitted, checking, idle, pending: n('PENDING') };
}

/** Worst first: a location on the map takes the worst state of its cells. */
const SEVERITY = ['down', 'partial', 'disconnected', 'stopped', 'paused', 'no data', 'up'];

/**
 * The configured locations that have coordinates, each with its state now:
 * why its monitors are not checking, else the worst of its cells.
 * @param {Matrix} matrix
 * @returns {import('../location-map.js').MapLocation[]}
 */
export function mapLocations(matrix) {
  return matrix.places.flatMap((place) => {
    if (!place.coordinates) return [];
    const monitoring = matrix.locations.get(place.name);
    const states = matrix.applications.flatMap((a) => a.cells.filter((c) => c.location === place.name).map((c) => cellState(c, monitoring)));
    const state = monitoring?.idle ?? states.sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b))[0] ?? 'no data';
    const detail = monitoring ? `${monitoring.checking} of ${countOf(monitoring.admitted, 'monitor')} checking.` : '';
    return [{ name: place.name, latitude: place.coordinates.latitude, longitude: place.coordinates.longitude, state, detail }];
  });
}

/** A cell's state now, with the reason in place of "no data" when the location's monitors are not checking. @param {Cell} cell @param {Monitoring | undefined} monitoring */
export const cellState = (cell, monitoring) => (cell.state === 'no data' && monitoring?.idle ? monitoring.idle : cell.state);

/** @param {{ query: URLSearchParams }} props */
export function AvailabilityPage({ query }) {
  const win = windowFromQuery(query);
  const selectedApp = query.get('app');
  const selectedLocation = query.get('location');
  const winQuery = win.key === 'custom' ? { window: 'custom', from: win.fromMs, to: win.toMs } : { window: win.key };

  const matrix = useResource(async () => {
    const range = win.range();
    const [answer, locations] = await Promise.all([
      getAvailability(SERVER_WINDOWS.has(win.key) ? { window: win.key } : { from: range.fromMs, to: range.toMs }),
      getLocations(),
    ]);
    return { ...answer, locations: new Map(locations.map((l) => [l.name, monitoringOf(l)])), places: locations };
  });
  useLiveRefresh(matrix.load, {
    pollMs: 30_000,
    liveEveryMs: 60_000,
    debounceMs: 1000,
    matches: (e) => !e.uei.endsWith('/configurationChangeDetected'),
    deps: [win.key, win.fromMs, win.toMs],
  });

  const locations = useMemo(() => {
    /** @type {string[]} */
    const names = [];
    for (const app of matrix.data?.applications ?? []) for (const cell of app.cells) if (!names.includes(cell.location)) names.push(cell.location);
    return names;
  }, [matrix.data]);

  const select = (/** @type {string | null} */ app, /** @type {string | null} */ location) =>
    navigate(href(['availability'], { ...winQuery, app, location }), true);

  const detailRef = useRef(/** @type {HTMLElement | null} */ (null));
  useEffect(() => {
    if (selectedApp && selectedLocation) detailRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }, [selectedApp, selectedLocation]);

  const data = matrix.data;
  const selectedCell = data?.applications.find((a) => a.name === selectedApp)?.cells.find((c) => c.location === selectedLocation);
  return html`<section aria-labelledby="availability-title">
    <div class="page-head">
      <div>
        <h1 id="availability-title">Availability</h1>
        <p class="muted">Each application as seen from each location over ${win.label}. Times in <${ZoneName} />.</p>
      </div>
      <${WindowPicker} win=${win} app=${selectedApp} location=${selectedLocation} />
    </div>
    <${ErrorBox} error=${matrix.error} onRetry=${matrix.load} />
    ${!data && matrix.loading ? html`<${Loading} label="Computing availability…" />` : null}
    ${data
      ? data.applications.length === 0
        ? html`<${Empty}>No applications are configured. Add <code><application></code> elements to the polling configuration.</${Empty}>`
        : html`<${MatrixTable} matrix=${data} locations=${locations} selected=${{ app: selectedApp, location: selectedLocation }} onSelect=${select} windowLabel=${win.label} />
            <${Legend} />
            <${LocationMap} locations=${mapLocations(data)} />`
      : null}
    ${selectedApp && selectedLocation
      ? html`<div ref=${detailRef}>
          <${CellDetail} key=${`${selectedApp}|${selectedLocation}|${win.key}|${win.fromMs}`} app=${selectedApp} location=${selectedLocation}
            win=${win} cell=${selectedCell && data ? { ...selectedCell, state: cellState(selectedCell, data.locations.get(selectedCell.location)) } : undefined}
            onClose=${() => select(null, null)} />
        </div>`
      : null}
  </section>`;
}

/**
 * 24 hours / 7 days / 30 days / Custom, the last with two datetime inputs.
 * @param {{ win: ReturnType<typeof windowFromQuery>, app: string | null, location: string | null }} props
 */
function WindowPicker({ win, app, location }) {
  const [custom, setCustom] = useState(win.key === 'custom');
  const initial = win.range();
  const [from, setFrom] = useState(toInputValue(win.fromMs ?? initial.fromMs));
  const [to, setTo] = useState(toInputValue(win.toMs ?? initial.toMs));
  const [problem, setProblem] = useState(/** @type {string | null} */ (null));
  useEffect(() => setCustom(win.key === 'custom'), [win.key]);

  const choose = (/** @type {string} */ key) => {
    setCustom(false);
    navigate(href(['availability'], { window: key, app, location }), true);
  };
  const apply = (/** @type {Event} */ e) => {
    e.preventDefault();
    const fromMs = fromInputValue(from);
    const toMs = fromInputValue(to);
    if (fromMs === null || toMs === null) return setProblem('Give both a start and an end.');
    if (fromMs >= toMs) return setProblem('The end must be after the start.');
    setProblem(null);
    navigate(href(['availability'], { window: 'custom', from: fromMs, to: toMs, app, location }), true);
  };

  return html`<div class="window-picker" data-testid="window-picker">
    <div class="segmented" role="group" aria-label="Time window">
      ${WINDOWS.map(
        (w) => html`<button type="button" class="seg" aria-pressed=${!custom && win.key === w.key ? 'true' : 'false'}
          onClick=${() => choose(w.key)} data-testid=${`window-${w.key}`}>${w.label}</button>`,
      )}
      <button type="button" class="seg" aria-pressed=${custom ? 'true' : 'false'} onClick=${() => setCustom(true)} data-testid="window-custom">Custom</button>
    </div>
    ${custom
      ? html`<form class="custom-range" onSubmit=${apply} data-testid="custom-range">
          <label>From <input type="datetime-local" value=${from} onInput=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => setFrom(e.currentTarget.value)} data-testid="custom-from" required /></label>
          <label>To <input type="datetime-local" value=${to} onInput=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => setTo(e.currentTarget.value)} data-testid="custom-to" required /></label>
          <button type="submit" class="btn btn-primary btn-small" data-testid="custom-apply">Apply</button>
          ${problem ? html`<span class="field-error" role="alert">${problem}</span>` : null}
        </form>`
      : null}
  </div>`;
}

/** The least height of a row of the matrix, in CSS pixels (a cell's availability, state and coverage; progressive.js). */
const MATRIX_ROW_PX = { wide: 90, narrow: 95 };

/**
 * @param {{ matrix: Matrix, locations: string[], selected: { app: string | null, location: string | null }, onSelect: (app: string, location: string) => void, windowLabel: string }} props
 */
function MatrixTable({ matrix, locations, selected, onSelect, windowLabel }) {
  // A screenful of applications first (their rows are some 100 px high), the rest just after.
  const rendered = useProgressiveCount(matrix.applications.length, MATRIX_ROW_PX);
  return html`<${TableWrap} label="Availability by application and location" className="matrix-wrap" testid="matrix-wrap">
    <table class="matrix" data-testid="matrix">
      <caption class="sr-only">Availability over ${windowLabel}: applications in rows, locations in columns. Select a cell for its detail.</caption>
      <thead>
        <tr>
          <th scope="col" class="sticky-col">Application</th>
          ${locations.map((l) => {
            // A location in distribute mode: its monitors split the services, and it is one view like the others.
            const shared = matrix.applications.some((a) => a.cells.some((c) => c.location === l && c.distributed));
            const m = matrix.locations.get(l);
            return html`<th scope="col" data-testid=${`matrix-location-${l}`}>
              ${l}${shared ? html`<div class="muted small" title="Its monitors share the services between them; each service is seen by the monitor polling it">shared</div>` : null}
              ${m ? html`<div class="muted small reporting" data-testid=${`reporting-${l}`} title="Monitors checking now, of those admitted at this location">${m.checking} of ${countOf(m.admitted, 'monitor')} checking</div>` : null}
            </th>`;
          })}
        </tr>
      </thead>
      <tbody>
        ${matrix.applications.slice(0, rendered).map(
          (app) => html`<tr data-testid=${`matrix-row-${app.name}`}>
            <th scope="row" class="sticky-col">${app.name}</th>
            ${locations.map((location) => {
              const cell = app.cells.find((c) => c.location === location);
              if (!cell) return html`<td class="cell-none"><span class="muted">Not polled here</span></td>`;
              const isSelected = selected.app === app.name && selected.location === location;
              return html`<td class="cell-td"><${MatrixCell} app=${app.name} cell=${cell} state=${cellState(cell, matrix.locations.get(location))} selected=${isSelected} onSelect=${() => onSelect(app.name, location)} /></td>`;
            })}
          </tr>`,
        )}
      </tbody>
    </table>
  </${TableWrap}>`;
}

/** @param {{ app: string, cell: Cell, state: string, selected: boolean, onSelect: () => void }} props */
function MatrixCell({ app, cell, state, selected, onSelect }) {
  const coverageNote = cell.coverage < 1 ? `coverage ${percent(cell.coverage)}` : null;
  return html`<button type="button" class="cell ${stateClass(state)} ${selected ? 'selected' : ''}" onClick=${onSelect}
    data-testid=${`cell-${app}-${cell.location}`} data-state=${state} aria-expanded=${selected ? 'true' : 'false'} aria-controls=${selected ? 'cell-detail' : undefined}
    title=${`${app} at ${cell.location}: up ${Math.round(cell.upMs / 60000)} min, down ${Math.round(cell.downMs / 60000)} min, no data ${Math.round(cell.noDataMs / 60000)} min`}>
    <span class="cell-pct" data-testid="cell-availability">${cell.availability === null ? '—' : percent(cell.availability)}</span>
    <${StateBadge} state=${state} />
    ${coverageNote ? html`<span class="cell-cov" data-testid="cell-coverage">${coverageNote}</span>` : null}
    <span class="sr-only">, ${app} at ${cell.location} (opens the details)</span>
  </button>`;
}

function Legend() {
  return html`<p class="legend" aria-label="Legend">
    ${Object.keys(STATES).map((state) => html`<${StateBadge} state=${state} />`)}
    <span class="muted">Percentage: time up ÷ time with data over the window (— when no monitor reported). State: now. Coverage: share of the window with a reporting monitor.</span>
  </p>`;
}
