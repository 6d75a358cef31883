/**
 * One cell of the availability matrix in detail: the application's services
 * at that location as each of its monitors last saw them, their outages in
 * the window, and a response-time graph per monitor of the location (a line
 * per service).
 */
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { ResponseChart } from '../chart.js';
import { Empty, ErrorBox, Loading, ServiceStatusBadge, StateBadge, TableWrap, useResource } from '../components.js';
import { percent } from '../format.js';
import { useLiveRefresh } from '../live.js';
import { getCellDetail } from '../rest.js';
import { href } from '../router.js';
import { Time, formatDuration } from '../time.js';
import { OutagesTable } from './outages.js';

/**
 * @param {{ app: string, location: string, win: { key: string, label: string, range: () => { fromMs: number, toMs: number } }, cell: import('./availability.js').Cell | undefined, onClose: () => void }} props
 */
export function CellDetail({ app, location, win, cell, onClose }) {
  const detail = useResource(async () => {
    const { fromMs, toMs } = win.range();
    const d = await getCellDetail(app, location, { from: fromMs, to: toMs });
    const byId = new Map(d.monitors.map((m) => [m.id, m]));
    return {
      ...d,
      perMonitor: d.seen.flatMap(({ monitorId, services }) => {
        const monitor = byId.get(monitorId);
        return monitor ? [{ monitor, services }] : [];
      }),
      series: d.responseTimes,
    };
  });
  useLiveRefresh(detail.load, {
    pollMs: 30_000,
    liveEveryMs: 60_000,
    debounceMs: 1000,
    matches: (e) => e.location === location || e.uei.includes('/application/'),
  });

  const d = detail.data;
  /** Per monitor: one chart, a line per service of the application. */
  const charts = useMemo(() => {
    if (!d) return [];
    return d.monitors.map((monitor) => ({
      monitor,
      series: d.series.map(({ service, series }) => ({ label: service, points: series.find((s) => s.monitorId === monitor.id)?.points ?? [] })),
    }));
  }, [d]);
  const monitorName = (/** @type {string} */ id) => d?.monitors.find((m) => m.id === id)?.name ?? id.slice(0, 8);

  return html`<section class="panel detail" id="cell-detail" aria-labelledby="detail-title" data-testid="cell-detail">
    <div class="panel-head">
      <div>
        <h2 id="detail-title">${app} <span class="muted">at</span> ${location}</h2>
        <p class="muted">Over ${win.label}${cell
          ? html` · availability <strong>${cell.availability === null ? 'no data' : percent(cell.availability)}</strong>${cell.coverage < 1 ? ` (coverage ${percent(cell.coverage)})` : ''} · now <${StateBadge} state=${cell.state} />`
          : null}</p>
      </div>
      <button type="button" class="btn btn-small" onClick=${onClose} data-testid="close-detail">Close</button>
    </div>
    <${ErrorBox} error=${detail.error} onRetry=${detail.load} />
    ${!d && detail.loading ? html`<${Loading} />` : null}
    ${d
      ? html`
          <h3>Services</h3>
          ${d.monitors.length === 0
            ? html`<${Empty}>No monitor polls from ${location} yet${d.pending ? ` (${d.pending} waiting for approval)` : ''}. <a href=${href(['locations'])}>Register or approve one on the Locations page</a>.</${Empty}>`
            : html`<${TableWrap} label=${`Services of ${app} at ${location}`}>
                <table class="cards" data-testid="detail-services">
                  <thead><tr><th scope="col">Service</th><th scope="col">Monitor</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col">Last result</th><th scope="col">Reason</th></tr></thead>
                  <tbody>
                    ${d.perMonitor.flatMap(({ monitor, services }) =>
                      services
                        .filter((s) => d.serviceIds.includes(s.serviceId))
                        .map(
                          (s) => html`<tr data-testid=${`detail-service-${s.serviceId}`} data-status=${s.status ?? 'none'}>
                            <td><a class="sid" href=${href(['services', s.serviceId])}>${s.serviceId}</a><div class="muted small">${s.monitor} · ${s.host}</div></td>
                            <td>${monitor.name}</td>
                            <td><${ServiceStatusBadge} status=${s.status} /></td>
                            <td><${Time} ms=${s.since} /></td>
                            <td><${Time} ms=${s.lastResultAt} /></td>
                            <td class="reason">${s.reason ?? ''}</td>
                          </tr>`,
                        ),
                    )}
                  </tbody>
                </table>
              </${TableWrap}>`}
          <h3>Outages in the window</h3>
          <${OutagesTable} outages=${d.outages} monitorName=${monitorName} showLocation=${false} testid="detail-outages" label=${`Outages of ${app} at ${location}`} />
          <h3>Response times</h3>
          ${charts.length === 0
            ? html`<${Empty}>No monitor at ${location} to show response times from.</${Empty}>`
            : html`<div class="charts">
                ${charts.map(
                  (c) => html`<${ResponseChart} key=${c.monitor.id} title=${`From ${c.monitor.name} (${location})`} series=${c.series} fromMs=${d.fromMs} toMs=${d.toMs}
                    testid=${`chart-monitor-${c.monitor.name}`} />`,
                )}
              </div>`}
          <p class="muted small">Window ${formatDuration(d.toMs - d.fromMs)}, up to <${Time} ms=${d.toMs} mode="full" />.</p>
        `
      : null}
  </section>`;
}
