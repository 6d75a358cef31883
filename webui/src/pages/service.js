/**
 * One service (#/services/NODE/SERVICE): its status as each monitor at each
 * location last saw it, a response-time graph per location (a line per
 * monitor, zoomable), and its outages.
 */
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { ResponseChart } from '../chart.js';
import { Empty, ErrorBox, Loading, ServiceStatusBadge, TableWrap, useResource } from '../components.js';
import { useLiveRefresh } from '../live.js';
import { getMonitorServices, getMonitors, getOutages, getResponseTimes } from '../rest.js';
import { href, navigate } from '../router.js';
import { Time, formatDuration } from '../time.js';
import { OutagesTable } from './outages.js';

/** The graph range shown when the hash names none (or an unknown one). */
const DEFAULT_RANGE = { key: '24h', label: '24 hours', ms: 24 * 3_600_000 };
const RANGES = [
  { key: '1h', label: '1 hour', ms: 3_600_000 },
  { key: '6h', label: '6 hours', ms: 6 * 3_600_000 },
  DEFAULT_RANGE,
  { key: '7d', label: '7 days', ms: 7 * 24 * 3_600_000 },
  { key: '30d', label: '30 days', ms: 30 * 24 * 3_600_000 },
];


/** @param {{ serviceId: string, query: URLSearchParams }} props */
export function ServicePage({ serviceId, query }) {
  const range = RANGES.find((r) => r.key === query.get('range')) ?? DEFAULT_RANGE;

  const data = useResource(async () => {
    const toMs = Date.now();
    const fromMs = toMs - range.ms;
    const monitors = await getMonitors();
    const [views, series, outages] = await Promise.all([
      Promise.all(
        monitors
          .filter((m) => m.status !== 'PENDING' && m.status !== 'DENIED')
          .map(async (m) => {
            const services = await getMonitorServices(m.id);
            return { monitor: m, service: services.find((s) => s.serviceId === serviceId) ?? null };
          }),
      ),
      getResponseTimes({ service: serviceId, from: fromMs, to: toMs }),
      getOutages({ service: serviceId, limit: 200 }),
    ]);
    return {
      fromMs,
      toMs,
      monitors,
      views: views.filter((v) => v.service !== null).sort((a, b) => a.monitor.location.localeCompare(b.monitor.location) || a.monitor.name.localeCompare(b.monitor.name)),
      series,
      outages,
    };
  });
  useLiveRefresh(data.load, {
    pollMs: 30_000,
    liveEveryMs: 60_000,
    debounceMs: 500,
    matches: (e) => e.serviceId === serviceId || (e.serviceId === null && e.monitorId !== null),
    deps: [serviceId, range.key],
  });

  const d = data.data;
  const info = d?.views[0]?.service ?? null;
  const monitorName = (/** @type {string} */ id) => d?.monitors.find((m) => m.id === id)?.name ?? `deleted monitor ${id.slice(0, 8)}`;

  /** Per location: one chart, a line per monitor. */
  const charts = useMemo(() => {
    if (!d) return [];
    /** @type {Map<string, import('../chart.js').ChartSeries[]>} */
    const byLocation = new Map();
    for (const s of d.series) {
      const monitor = d.monitors.find((m) => m.id === s.monitorId);
      const location = monitor?.location ?? 'Deleted monitors';
      const list = byLocation.get(location) ?? [];
      list.push({ label: monitor?.name ?? `deleted ${s.monitorId.slice(0, 8)}`, points: s.points });
      byLocation.set(location, list);
    }
    // Locations that poll the service but have no points yet still get their (empty) chart.
    for (const v of d.views) if (!byLocation.has(v.monitor.location)) byLocation.set(v.monitor.location, []);
    return [...byLocation.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([location, series]) => ({ location, series }));
  }, [d]);

  const up = d?.views.filter((v) => v.service?.status === 'UP').length ?? 0;
  const down = d?.views.filter((v) => v.service?.status === 'DOWN').length ?? 0;

  return html`<section aria-labelledby="service-title" data-testid="service-page">
    <p class="crumbs"><a href=${href(['availability'])}>Availability</a> › Service</p>
    <div class="page-head">
      <div>
        <h1 id="service-title">${serviceId}</h1>
        <p class="muted">
          ${info ? `${info.monitor} check of ${info.host} every ${formatDuration(info.intervalMs)}` : null}
          ${d ? html`${info ? ' · ' : ''}<span data-testid="service-summary">${d.views.length === 0 ? 'no monitor polls it' : `up from ${up}, down from ${down} of ${d.views.length} monitor${d.views.length === 1 ? '' : 's'}`}</span>` : null}
        </p>
      </div>
      <div class="segmented" role="group" aria-label="Graph range">
        ${RANGES.map(
          (r) => html`<button type="button" class="seg" aria-pressed=${r.key === range.key ? 'true' : 'false'} data-testid=${`range-${r.key}`}
            onClick=${() => navigate(href(['services', serviceId], { range: r.key }), true)}>${r.label}</button>`,
        )}
      </div>
    </div>
    <${ErrorBox} error=${data.error} onRetry=${data.load} />
    ${!d && data.loading ? html`<${Loading} />` : null}
    ${d
      ? html`
          <h2>Status by location</h2>
          ${d.views.length === 0
            ? html`<${Empty}>No monitor polls “${serviceId}”. Check the service id (NODE-LABEL/SERVICE-NAME) or the locations' packages.</${Empty}>`
            : html`<${TableWrap} label="Status by location and monitor">
                <table data-testid="service-status">
                  <thead><tr><th scope="col">Location</th><th scope="col">Monitor</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col">Last result</th><th scope="col">Reason</th></tr></thead>
                  <tbody>
                    ${d.views.map(
                      ({ monitor, service }) => html`<tr data-testid=${`service-monitor-${monitor.name}`} data-status=${service?.status ?? 'none'}>
                        <td>${monitor.location}</td>
                        <td>${monitor.name}${monitor.paused ? html` <span class="badge tone-neutral">paused</span>` : null}</td>
                        <td><${ServiceStatusBadge} status=${service?.status ?? null} /></td>
                        <td><${Time} ms=${service?.since} /></td>
                        <td><${Time} ms=${service?.lastResultAt} /></td>
                        <td class="reason">${service?.reason ?? ''}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </${TableWrap}>`}
          <h2>Response time, last ${range.label}</h2>
          ${charts.length === 0
            ? html`<${Empty}>No response times yet.</${Empty}>`
            : html`<div class="charts">
                ${charts.map(
                  (c) => html`<${ResponseChart} key=${c.location} title=${`From ${c.location}`} series=${c.series} fromMs=${d.fromMs} toMs=${d.toMs} testid=${`chart-location-${c.location}`} />`,
                )}
              </div>`}
          <h2>Outages</h2>
          <${OutagesTable} outages=${d.outages} monitorName=${monitorName} showService=${false} testid="service-outages" label=${`Outages of ${serviceId}`} />
        `
      : null}
  </section>`;
}
