/**
 * One service (#/services/NODE/SERVICE), from one request: its state at each
 * location with a status history per location, what each monitor last saw,
 * the response times of every location on one chart (one time axis, one
 * scale) with its outages shaded, and the outages listed.
 */
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { ResponseChart } from '../chart.js';
import { Empty, ErrorBox, Loading, MonitorStatusBadge, ServiceStatusBadge, StateBadge, TableWrap, useResource } from '../components.js';
import { countOf, ms, percent } from '../format.js';
import { useLiveRefresh } from '../live.js';
import { getService } from '../rest.js';
import { href, navigate } from '../router.js';
import { StatusBars } from '../status-history.js';
import { Time, formatDuration } from '../time.js';
import { OutagesTable } from './outages.js';

const RANGES = [
  { key: '1h', label: '1 hour' },
  { key: '6h', label: '6 hours' },
  { key: '24h', label: '24 hours' },
  { key: '7d', label: '7 days' },
  { key: '30d', label: '30 days' },
];

/** @param {{ serviceId: string, query: URLSearchParams }} props */
export function ServicePage({ serviceId, query }) {
  const range = RANGES.find((r) => r.key === query.get('range')) ?? { key: '24h', label: '24 hours' };
  const data = useResource(() => getService(serviceId, range.key));
  useLiveRefresh(data.load, {
    pollMs: 30_000,
    liveEveryMs: 60_000,
    debounceMs: 1000,
    matches: (e) => e.serviceId === serviceId || (e.serviceId === null && e.monitorId !== null),
    deps: [serviceId, range.key],
  });

  const d = data.data;
  const monitorName = (/** @type {string} */ id) => d?.monitors.find((m) => m.id === id)?.name ?? `deleted monitor ${id.slice(0, 8)}`;
  const series = useMemo(() => (d ? d.responseTimes.map((s) => ({ label: s.location, points: s.points })) : []), [d]);
  const outages = useMemo(() => (d ? d.outages.map((o) => ({ fromMs: o.startedAt, toMs: o.endedAt ?? d.window.toMs })) : []), [d]);
  const s = d?.service;
  const seeing = d ? d.locations.filter((l) => l.state === 'up' || l.state === 'down' || l.state === 'partial') : [];
  const downAt = seeing.filter((l) => l.state !== 'up');

  return html`<section aria-labelledby="service-title" data-testid="service-page">
    <p class="crumbs"><a href=${href(['services'])}>Services</a> › ${serviceId}</p>
    <div class="page-head">
      <div>
        <h1 id="service-title">${serviceId} ${s ? html`<${StateBadge} state=${s.state} testid="service-state" />` : null}</h1>
        <p class="muted">
          ${s ? `${s.monitorType} check of ${s.host} every ${formatDuration(s.intervalMs)}` : null}
          ${s && s.applications.length ? ` · part of ${s.applications.join(', ')}` : ''}
          ${d
            ? html` · <span data-testid="service-summary">${seeing.length === 0
                ? 'no location is checking it now'
                : downAt.length === 0
                  ? `up from ${seeing.length === 1 ? 'the one location' : `all ${seeing.length} locations`} checking it`
                  : `down from ${downAt.length} of ${countOf(seeing.length, 'location')} checking it`}</span>`
            : null}
        </p>
      </div>
      <div class="segmented" role="group" aria-label="Time range">
        ${RANGES.map(
          (r) => html`<button type="button" class="seg" aria-pressed=${r.key === range.key ? 'true' : 'false'} data-testid=${`range-${r.key}`}
            onClick=${() => navigate(href(['services', serviceId], { range: r.key }), true)}>${r.label}</button>`,
        )}
      </div>
    </div>
    <${ErrorBox} error=${data.error} onRetry=${data.load} />
    ${!d && data.loading ? html`<${Loading} />` : null}
    ${d && s
      ? html`
          <h2>By location, last ${range.label}</h2>
          <${TableWrap} label="State and history by location">
            <table class="cards" data-testid="service-locations">
              <thead><tr><th scope="col">Location</th><th scope="col">Now</th><th scope="col">Monitors checking</th><th scope="col">History</th></tr></thead>
              <tbody>
                ${d.locations.map(
                  (l) => html`<tr data-testid=${`service-location-${l.location}`} data-state=${l.state}>
                    <th scope="row" data-label="Location">${l.location}</th>
                    <td data-label="Now"><${StateBadge} state=${l.state} /></td>
                    <td data-label="Monitors checking">${l.checking} of ${l.monitors}</td>
                    <td data-label="History"><${StatusBars} history=${l.history} firstPeriodMs=${d.window.firstPeriodMs} stepMs=${d.window.stepMs} label=${`From ${l.location}`} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </${TableWrap}>
          <p class="muted small">Over the last ${range.label}: uptime ${s.uptime === null ? 'unknown (no results)' : percent(s.uptime)}, mean response time ${ms(s.avgResponseMs)}.</p>
          <h2>Response time, all locations</h2>
          <${ResponseChart} title=${`${serviceId} from ${series.map((x) => x.label).join(', ') || 'no location yet'}`} series=${series} outages=${outages}
            fromMs=${d.window.fromMs} toMs=${d.window.toMs} testid="service-chart" height=${260} />
          <h2>What each monitor saw last</h2>
          ${d.monitors.length === 0
            ? html`<${Empty}>No monitor checks “${serviceId}” yet. <a href=${href(['locations'])}>Register or approve one on the Locations page</a>.</${Empty}>`
            : html`<${TableWrap} label="Status by monitor">
                <table class="cards" data-testid="service-status">
                  <thead><tr><th scope="col">Location</th><th scope="col">Monitor</th><th scope="col">Saw</th><th scope="col">Since</th><th scope="col">Last result</th><th scope="col">Reason</th></tr></thead>
                  <tbody>
                    ${d.monitors.map(
                      (m) => html`<tr data-testid=${`service-monitor-${m.name}`} data-status=${m.seen?.status ?? 'none'}>
                        <td data-label="Location">${m.location}</td>
                        <td data-label="Monitor">${m.name} <${MonitorStatusBadge} status=${m.status} /></td>
                        <td data-label="Saw"><${ServiceStatusBadge} status=${m.seen?.status ?? null} /></td>
                        <td data-label="Since"><${Time} ms=${m.seen?.since} /></td>
                        <td data-label="Last result"><${Time} ms=${m.seen?.lastResultAt} /></td>
                        <td data-label="Reason" class="reason">${m.seen?.reason ?? ''}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </${TableWrap}>`}
          <h2>Outages</h2>
          <${OutagesTable} outages=${d.outages} monitorName=${monitorName} showService=${false} testid="service-outages" label=${`Outages of ${serviceId}`} />
        `
      : null}
  </section>`;
}
