/**
 * Alarms (GET /api/alarms): open, cleared or all, filtered by location,
 * event and severity; Acknowledge / Unacknowledge / Clear. Kept current by
 * live events that raise or clear alarms (or polling every 5 s), and every
 * 15 s anyway for what other operators do (acknowledging raises no event).
 */
import { html } from 'htm/preact';
import { countOf } from '../format.js';
import { ActionButton, Empty, ErrorBox, Loading, SeverityBadge, TableWrap, useResource } from '../components.js';
import { useLiveRefresh } from '../live.js';
import { useProgressiveCount } from '../progressive.js';
import { reportOpenAlarms } from '../alarm-count.js';
import { can } from '../role.js';
import { href, useQueryParam } from '../router.js';
import { Time, ZoneName } from '../time.js';
import { changesAlarms, raisesAlarm, ueiLabel, ueiName } from '../catalogue.js';
import { administerAlarm, getAlarms, getMonitors } from '../rest.js';
import { SelectFilter, locationOptions, severityOptions, ueiOptions, useLocationNames } from './filters.js';

/** @typedef {import('../rest.js').Alarm} Alarm */

/** @type {{ value: 'open' | 'cleared' | 'all', label: string }[]} */
const STATES = [
  { value: 'open', label: 'Open' },
  { value: 'cleared', label: 'Cleared' },
  { value: 'all', label: 'All' },
];

/** At most this many alarms listed. */
const ALARMS_SHOWN = 500;
/** The least height of a row: an alarm with its actions (progressive.js). */
const ALARM_ROW_PX = { wide: 88, narrow: 480 };

export function AlarmsPage() {
  const locations = useLocationNames();
  const [stateParam, setState] = useQueryParam('state', 'open');
  const state = /** @type {'open' | 'cleared' | 'all'} */ (['open', 'cleared', 'all'].includes(stateParam) ? stateParam : 'open');
  const [location, setLocation] = useQueryParam('location');
  const [uei, setUei] = useQueryParam('uei');
  const [severity, setSeverity] = useQueryParam('severity');

  const data = useResource(async () => {
    const [alarms, monitors] = await Promise.all([
      getAlarms({ state, location, uei, severity, limit: ALARMS_SHOWN }),
      getMonitors().catch(() => /** @type {import('../rest.js').Monitor[]} */ ([])),
    ]);
    if (state === 'open' && !location && !uei && !severity) reportOpenAlarms(alarms.length < ALARMS_SHOWN ? alarms.length : null);
    return { alarms, names: new Map(monitors.map((m) => [m.id, m.name])) };
  });
  const live = useLiveRefresh(data.load, {
    pollMs: 5000,
    liveEveryMs: 15_000,
    debounceMs: 300,
    matches: (e) => changesAlarms(e.uei),
    deps: [state, location, uei, severity],
  });

  const act = (/** @type {Alarm} */ alarm, /** @type {'acknowledge' | 'unacknowledge' | 'clear'} */ action) => async () => {
    await administerAlarm(alarm.id, action);
    await data.load();
  };

  const d = data.data;
  // A screenful of rows first, the rest in chunks just after: a few hundred alarms take a while to lay out.
  const rendered = useProgressiveCount(d?.alarms.length ?? 0, ALARM_ROW_PX);
  return html`<section aria-labelledby="alarms-title">
    <div class="page-head">
      <div>
        <h1 id="alarms-title">Alarms</h1>
        <p class="muted">Problems that need attention, one per service and monitor, monitor or application. ${live ? 'Updated live.' : 'Refreshed every 5 seconds.'} Times in <${ZoneName} />.</p>
      </div>
    </div>
    <form class="filters" aria-label="Filter alarms" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()} data-testid="alarm-filters">
      <${SelectFilter} id="al-state" label="State" value=${state} onChange=${(/** @type {string} */ v) => setState(STATES.find((s) => s.value === v)?.value ?? 'open')} options=${STATES} testid="filter-state" />
      <${SelectFilter} id="al-location" label="Location" value=${location} onChange=${setLocation} options=${locationOptions(locations)} testid="filter-location" />
      <${SelectFilter} id="al-uei" label="Event" value=${uei} onChange=${setUei} options=${ueiOptions(raisesAlarm)} testid="filter-uei" />
      <${SelectFilter} id="al-severity" label="Severity" value=${severity} onChange=${setSeverity} options=${severityOptions()} testid="filter-severity" />
    </form>
    <${ErrorBox} error=${data.error} onRetry=${data.load} />
    ${!d && data.loading ? html`<${Loading} />` : null}
    ${d
      ? d.alarms.length === 0
        ? html`<${Empty}><span data-testid="no-alarms">No ${state === 'all' ? '' : `${state} `}alarms${location || uei || severity ? ' match the filters' : ''}.</span></${Empty}>`
        : html`<${TableWrap} label="Alarms" testid="alarms">
            <table class="alarms cards" data-testid="alarms-table">
              <thead>
                <tr>
                  <th scope="col">Severity</th><th scope="col">Alarm</th><th scope="col">Actions</th><th scope="col">Where</th><th scope="col">Reason</th>
                  <th scope="col">Count</th><th scope="col">Last / first</th><th scope="col">Acknowledged</th><th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                ${d.alarms.slice(0, rendered).map(
                  (a) => html`<tr key=${a.id} data-testid="alarm-row" data-alarm-id=${a.id} data-uei=${ueiName(a.uei)} data-severity=${a.severity}
                      data-acknowledged=${a.acknowledgedAt ? 'true' : 'false'} data-cleared=${a.clearedAt ? 'true' : 'false'} class=${a.clearedAt ? 'row-cleared' : ''}>
                    <td><${SeverityBadge} severity=${a.severity} /></td>
                    <td><span class="event-label">${a.description || ueiLabel(a.uei)}</span><div class="muted small uei-name" title=${a.uei}>${ueiName(a.uei)}</div></td>
                    <td class="actions-cell">
                      <div class="actions">
                        ${!can('operator')
                          ? html`<span class="muted small">—</span>`
                          : a.acknowledgedAt
                          ? html`<${ActionButton} label="Unacknowledge" action=${act(a, 'unacknowledge')} testid=${`unacknowledge-${a.id}`} />`
                          : html`<${ActionButton} label="Acknowledge" kind="primary" action=${act(a, 'acknowledge')} testid=${`acknowledge-${a.id}`} />`}
                        ${a.clearedAt || !can('operator') ? null : html`<${ActionButton} label="Clear" action=${act(a, 'clear')} testid=${`clear-${a.id}`} />`}
                      </div>
                    </td>
                    <td class="where">
                      ${a.application ? html`<div>Application ${a.application}</div>` : null}
                      ${a.location ? html`<div>${a.location}${a.monitorId ? html` · ${d.names.get(a.monitorId) ?? a.monitorId.slice(0, 8)}` : null}</div>` : null}
                      ${a.serviceId ? html`<div><a class="sid" href=${href(['services', a.serviceId])}>${a.serviceId}</a></div>` : null}
                    </td>
                    <td class="reason">${a.reason ?? ''}</td>
                    <td class="num">${a.count}</td>
                    <td class="nowrap"><${Time} ms=${a.lastEventTime} /><div class="muted small">first <${Time} ms=${a.firstEventTime} /></div></td>
                    <td>${a.acknowledgedAt ? html`${a.acknowledgedBy ?? ''}<div class="muted small"><${Time} ms=${a.acknowledgedAt} /></div>` : html`<span class="muted">No</span>`}</td>
                    <td>${a.clearedAt ? html`<span class="badge tone-up">Cleared</span><div class="muted small"><${Time} ms=${a.clearedAt} /></div>` : html`<span class="badge tone-down">Open</span>`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </${TableWrap}>
          <p class="list-foot muted">${countOf(d.alarms.length, 'alarm')}.</p>`
      : null}
  </section>`;
}
