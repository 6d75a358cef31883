/**
 * Every service (#/services): node, service, monitor type, applications,
 * its state at each location, a status history (a bar per period) and a
 * response-time sparkline over the window. Search, filters (state,
 * location, application), sort and window live in the address, so a link or a
 * reload shows the same list: `/services?q=shop&state=down&sort=state`.
 * The list is fetched once per window; searching and filtering are instant.
 */
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { Empty, ErrorBox, Loading, STATES, TableWrap, stateBadgeMarkup, useResource } from '../components.js';
import { compareNames, countOf, ms, percent } from '../format.js';
import { useLiveRefresh } from '../live.js';
import { getServices } from '../rest.js';
import { href, navigate } from '../router.js';
import { useProgressiveCount } from '../progressive.js';
import { markup } from '../markup.js';
import { sparklineMarkup, statusBarsMarkup } from '../status-history.js';
import { SelectFilter } from './filters.js';

/** @typedef {import('../rest.js').ServiceSummary} ServiceSummary */

export const SERVICE_WINDOWS = [
  { key: '1h', label: '1 hour' },
  { key: '6h', label: '6 hours' },
  { key: '24h', label: '24 hours' },
  { key: '7d', label: '7 days' },
];
const SORTS = [
  { value: 'name', label: 'Name' },
  { value: 'state', label: 'State, worst first' },
  { value: 'type', label: 'Monitor type' },
  { value: 'uptime', label: 'Uptime, lowest first' },
  { value: '-response', label: 'Response time, slowest first' },
];
/** The least height of a row: one application, one location (progressive.js). */
const SERVICE_ROW_PX = { wide: 58, narrow: 310 };
const STATE_ORDER = ['down', 'partial', 'disconnected', 'stopped', 'paused', 'no data', 'up'];

/** The choices in the address, with defaults. @param {URLSearchParams} query */
function choicesOf(query) {
  const window = SERVICE_WINDOWS.find((w) => w.key === query.get('window'))?.key ?? '24h';
  const sort = SORTS.find((s) => s.value === query.get('sort'))?.value ?? 'name';
  return { q: query.get('q') ?? '', state: query.get('state') ?? '', location: query.get('location') ?? '', app: query.get('app') ?? '', sort, window };
}

/**
 * The services the choices keep, in their order: the same rules as GET /api/services.
 * @param {ServiceSummary[]} services @param {ReturnType<typeof choicesOf>} c
 */
export function selectServices(services, c) {
  const words = c.q.toLowerCase().split(/\s+/).filter(Boolean);
  const kept = services.filter(
    (s) =>
      (!c.state || s.state === c.state || s.locations.some((l) => l.state === c.state)) &&
      (!c.location || s.locations.some((l) => l.location === c.location)) &&
      (!c.app || s.applications.includes(c.app)) &&
      words.every((w) => [s.id, s.host, s.monitorType, ...s.applications].some((f) => f.toLowerCase().includes(w))),
  );
  const nullsLast = (/** @type {number | null} */ a, /** @type {number | null} */ b, /** @type {number} */ dir) => (a === null || b === null ? (a === b ? 0 : a === null ? 1 : -1) : dir * (a - b));
  /** @type {Record<string, (a: ServiceSummary, b: ServiceSummary) => number>} */
  const by = {
    name: () => 0,
    state: (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state),
    type: (a, b) => compareNames(a.monitorType, b.monitorType),
    uptime: (a, b) => nullsLast(a.uptime, b.uptime, 1),
    '-response': (a, b) => nullsLast(a.avgResponseMs, b.avgResponseMs, -1),
  };
  const primary = by[c.sort] ?? by.name;
  return kept.sort((a, b) => (primary ? primary(a, b) : 0) || compareNames(a.id, b.id));
}

/** @param {{ query: URLSearchParams }} props */
export function ServicesPage({ query }) {
  const c = choicesOf(query);
  const list = useResource(() => getServices({ window: c.window }));
  useLiveRefresh(list.load, {
    pollMs: 30_000,
    liveEveryMs: 60_000,
    debounceMs: 1500,
    matches: (e) => e.serviceId !== null || e.monitorId !== null,
    deps: [c.window],
  });
  const choose = (/** @type {Partial<ReturnType<typeof choicesOf>>} */ change) => {
    const next = { ...c, ...change };
    navigate(href(['services'], { q: next.q, state: next.state, location: next.location, app: next.app, sort: next.sort === 'name' ? '' : next.sort, window: next.window === '24h' ? '' : next.window }), true);
  };

  const d = list.data;
  const shown = useMemo(() => (d ? selectServices([...d.services], c) : []), [d, c.q, c.state, c.location, c.app, c.sort]);
  // A screenful of rows first, the rest just after (a few hundred rows take a while to lay out).
  const rendered = useProgressiveCount(shown.length, SERVICE_ROW_PX);
  // Each row's markup made when it is first shown, and kept until the list is loaded again.
  const rowMarkup = useMemo(() => {
    const made = new Map();
    return (/** @type {ServiceSummary} */ s) => made.get(s) ?? made.set(s, d ? serviceRowMarkup(s, d.window).text : '').get(s);
  }, [d]);
  const filtered = c.q || c.state || c.location || c.app;
  const windowLabel = SERVICE_WINDOWS.find((w) => w.key === c.window)?.label ?? c.window;

  return html`<section aria-labelledby="services-title" data-testid="services-page">
    <div class="page-head">
      <div>
        <h1 id="services-title">Services</h1>
        <p class="muted" data-testid="services-summary">
          ${d
            ? filtered
              ? `${shown.length} of ${countOf(d.total, 'service')} ${shown.length === 1 ? 'matches' : 'match'}; history over the last ${windowLabel}.`
              : `${countOf(d.total, 'service')}; history over the last ${windowLabel}.`
            : `History over the last ${windowLabel}.`}
        </p>
      </div>
      <div class="segmented" role="group" aria-label="Time window">
        ${SERVICE_WINDOWS.map(
          (w) => html`<button type="button" class="seg" aria-pressed=${w.key === c.window ? 'true' : 'false'} data-testid=${`services-window-${w.key}`}
            onClick=${() => choose({ window: w.key })}>${w.label}</button>`,
        )}
      </div>
    </div>
    <form class="filters" role="search" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()}>
      <div class="filter filter-search">
        <label for="services-q">Search</label>
        <input id="services-q" type="search" value=${c.q} placeholder="node, service, host, type or application" data-testid="services-search"
          onInput=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => choose({ q: e.currentTarget.value })} />
      </div>
      <${SelectFilter} id="services-state" label="State" value=${c.state} onChange=${(/** @type {string} */ state) => choose({ state })} testid="services-state"
        options=${[{ value: '', label: 'Any state' }, ...STATE_ORDER.map((s) => ({ value: s, label: STATES[/** @type {keyof typeof STATES} */ (s)].label }))]} />
      <${SelectFilter} id="services-location" label="Location" value=${c.location} onChange=${(/** @type {string} */ location) => choose({ location })} testid="services-location"
        options=${[{ value: '', label: 'All locations' }, ...(d?.locations ?? []).map((n) => ({ value: n, label: n }))]} />
      <${SelectFilter} id="services-app" label="Application" value=${c.app} onChange=${(/** @type {string} */ app) => choose({ app })} testid="services-app"
        options=${[{ value: '', label: 'All applications' }, ...(d?.applications ?? []).map((n) => ({ value: n, label: n }))]} />
      <${SelectFilter} id="services-sort" label="Sort by" value=${c.sort} onChange=${(/** @type {string} */ sort) => choose({ sort })} testid="services-sort" options=${SORTS} />
      ${filtered ? html`<button type="button" class="btn btn-small filter-button" onClick=${() => choose({ q: '', state: '', location: '', app: '' })} data-testid="services-clear">Clear filters</button>` : null}
    </form>
    <${ErrorBox} error=${list.error} onRetry=${list.load} />
    ${!d && list.loading ? html`<${Loading} label="Loading services…" />` : null}
    ${d && d.total === 0 ? html`<${Empty}>No services are configured. Add packages with services to the polling configuration.</${Empty}>` : null}
    ${d && d.total > 0 && shown.length === 0 ? html`<${Empty}>No service matches these filters.</${Empty}>` : null}
    ${d && shown.length > 0
      ? html`<${TableWrap} label="Services" testid="services-table-wrap">
          <table class="services cards" data-testid="services-table">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Applications</th>
                <th scope="col">State by location</th>
                <th scope="col">History</th>
                <th scope="col">Response time</th>
                <th scope="col">Uptime</th>
              </tr>
            </thead>
            ${chunksOf(shown.slice(0, rendered).map(rowMarkup)).map((chunk, i) => html`<tbody key=${i} dangerouslySetInnerHTML=${{ __html: chunk }} />`)}
          </table>
        </${TableWrap}>`
      : null}
  </section>`;
}

/**
 * Rows in groups, a tbody each: as more rows arrive (progressive.js), the
 * groups already shown keep their markup and are not parsed again.
 */
const ROWS_PER_GROUP = 20;

/** @param {string[]} rows */
function chunksOf(rows) {
  const chunks = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_GROUP) chunks.push(rows.slice(i, i + ROWS_PER_GROUP).join(''));
  return chunks;
}

/**
 * One service's row as markup: a few hundred rows are parsed by the browser
 * at once, several times faster than made element by element.
 * @param {ServiceSummary} s @param {import('../rest.js').ServiceWindow} window
 */
function serviceRowMarkup(s, window) {
  return markup`<tr data-testid="service-row-${s.id}" data-state="${s.state}">
    <th scope="row" data-label="Service"><a class="sid" href="${href(['services', s.id])}">${s.id}</a><div class="muted small">${s.monitorType} check of ${s.host}</div></th>
    <td data-label="Applications">${s.applications.length ? s.applications.join(', ') : markup`<span class="muted">none</span>`}</td>
    <td data-label="State"><ul class="loc-states">${s.locations.map(
      (l) => markup`<li><span class="loc-name">${l.location}</span> ${stateBadgeMarkup(l.state, `service-state-${s.id}-${l.location}`)}</li>`,
    )}</ul></td>
    <td data-label="History">${statusBarsMarkup({ history: s.history, firstPeriodMs: window.firstPeriodMs, stepMs: window.stepMs, label: s.id, testid: `history-${s.id}` })}</td>
    <td data-label="Response time" class="nowrap"><div class="spark-cell">${sparklineMarkup(s.responseMs, s.id)}<span class="small">${ms(s.avgResponseMs)}</span></div></td>
    <td data-label="Uptime" class="num">${s.uptime === null ? markup`<span class="muted">no results</span>` : percent(s.uptime)}</td>
  </tr>`;
}
