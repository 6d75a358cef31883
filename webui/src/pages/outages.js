/** A table of outages (GET /api/outages), shared by the cell detail and the service page. */
import { html } from 'htm/preact';
import { Empty, TableWrap } from '../components.js';
import { href } from '../router.js';
import { Time, formatDuration, useNow } from '../time.js';

/**
 * @param {{ outages: import('../rest.js').Outage[], monitorName: (id: string) => string, showLocation?: boolean, showService?: boolean, testid: string, label: string }} props
 */
export function OutagesTable({ outages, monitorName, showLocation = true, showService = true, testid, label }) {
  const now = useNow(outages.some((o) => o.endedAt === null));
  if (outages.length === 0) return html`<${Empty}><span data-testid=${testid}>No outages in this range.</span></${Empty}>`;
  return html`<${TableWrap} label=${label}>
    <table class="cards" data-testid=${testid}>
      <thead>
        <tr>
          ${showService ? html`<th scope="col">Service</th>` : null}
          ${showLocation ? html`<th scope="col">Location</th>` : null}
          <th scope="col">Monitor</th>
          <th scope="col">Started</th>
          <th scope="col">Ended</th>
          <th scope="col">Duration</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        ${outages.map(
          (o) => html`<tr key=${o.id} data-testid="outage-row" data-open=${o.endedAt === null ? 'true' : 'false'}>
            ${showService ? html`<td><a class="sid" href=${href(['services', o.serviceId])}>${o.serviceId}</a></td>` : null}
            ${showLocation ? html`<td>${o.location}</td>` : null}
            <td>${monitorName(o.monitorId)}</td>
            <td><${Time} ms=${o.startedAt} mode="short" /></td>
            <td>${o.endedAt === null ? html`<span class="badge tone-down"><span aria-hidden="true" class="badge-icon">✕</span>Ongoing</span>` : html`<${Time} ms=${o.endedAt} mode="short" />`}</td>
            <td>${formatDuration((o.endedAt ?? now) - o.startedAt)}</td>
            <td class="reason">${o.reason ?? ''}${o.scheduled ? html` <span class="badge tone-neutral">scheduled maintenance</span>` : null}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </${TableWrap}>`;
}
