/**
 * Events, newest first (GET /api/events), filtered by location, event (UEI)
 * and time on the server and by severity here. New events arrive live from
 * /api/live (or by polling every 5 s when the stream is not open).
 */
import { html } from 'htm/preact';
import { countOf } from '../format.js';
import { useRef, useState } from 'preact/hooks';
import { Empty, ErrorBox, Loading, SeverityBadge, TableWrap, notify } from '../components.js';
import { useLiveRefresh } from '../live.js';
import { href, useQueryParam } from '../router.js';
import { DateTimeInput, Time, fromInputValue, ZoneName } from '../time.js';
import { useProgressiveCount } from '../progressive.js';
import { ueiLabel, ueiName } from '../catalogue.js';
import { getEvents } from '../rest.js';
import { SelectFilter, locationOptions, severityOptions, ueiOptions, useLocationNames } from './filters.js';

const PAGE = 200;
/** The least height of a row: an event of one line (progressive.js). */
const EVENT_ROW_PX = { wide: 50, narrow: 340 };

/** @typedef {import('../rest.js').StoredEvent} StoredEvent */

export function EventsPage() {
  const locations = useLocationNames();
  const [location, setLocation] = useQueryParam('location');
  const [uei, setUei] = useQueryParam('uei');
  const [severity, setSeverity] = useQueryParam('severity');
  const [since, setSince] = useQueryParam('since');
  const [until, setUntil] = useQueryParam('until');
  const [events, setEvents] = useState(/** @type {StoredEvent[] | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [loading, setLoading] = useState(true);
  const [fresh, setFresh] = useState(/** @type {Set<number>} */ (new Set()));
  const [more, setMore] = useState(false);
  const seq = useRef(0);
  const shownRef = useRef(events);
  shownRef.current = events;
  const loadedKey = useRef('');

  const sinceMs = fromInputValue(since);
  const untilMs = fromInputValue(until);
  const query = { location, uei, since: sinceMs, until: untilMs, limit: PAGE };

  const load = async () => {
    const mine = ++seq.current;
    setLoading(true);
    try {
      const list = await getEvents(query);
      if (mine !== seq.current) return;
      // Rows that were not there at the last load with the same filters are new: mark them.
      const key = JSON.stringify(query);
      const old = shownRef.current;
      if (old && loadedKey.current === key) {
        const known = new Set(old.map((e) => e.id));
        const added = list.filter((e) => !known.has(e.id)).map((e) => e.id);
        if (added.length) setFresh(new Set(added));
      }
      loadedKey.current = key;
      setEvents(list);
      setMore(list.length === PAGE);
      setError(null);
    } catch (err) {
      if (mine === seq.current) setError(err);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  };

  /** A live event that passes the server-side filters goes on top at once. */
  const onEvent = (/** @type {StoredEvent} */ e) => {
    if (location && e.location !== location) return;
    if (uei && e.uei !== uei) return;
    if (sinceMs !== null && e.time < sinceMs) return;
    if (untilMs !== null) return;
    setEvents((old) => (old && !old.some((x) => x.id === e.id) ? [e, ...old] : old));
    setFresh(new Set([e.id]));
  };
  const live = useLiveRefresh(load, { pollMs: 5000, liveEveryMs: 0, matches: () => false, onEvent, deps: [location, uei, since, until] });

  const loadOlder = async () => {
    const oldest = events?.at(-1);
    if (!events || !oldest) return;
    try {
      const older = await getEvents({ ...query, until: oldest.time });
      const known = new Set(events.map((e) => e.id));
      setEvents([...events, ...older.filter((e) => !known.has(e.id))]);
      setMore(older.length === PAGE);
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'error');
    }
  };

  const shown = (events ?? []).filter((e) => !severity || e.severity === severity);
  // A screenful of rows first, the rest in chunks just after: 200 rows with live times take a while to build.
  const rendered = useProgressiveCount(shown.length, EVENT_ROW_PX);
  const clear = () => {
    setLocation('');
    setUei('');
    setSeverity('');
    setSince('');
    setUntil('');
  };

  return html`<section aria-labelledby="events-title">
    <div class="page-head">
      <div>
        <h1 id="events-title">Events</h1>
        <p class="muted">Everything that happened, newest first. ${live ? 'New events appear as they happen.' : 'Refreshed every 5 seconds.'} Times in <${ZoneName} />.</p>
      </div>
    </div>
    <form class="filters" aria-label="Filter events" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()} data-testid="event-filters">
      <${SelectFilter} id="ev-location" label="Location" value=${location} onChange=${setLocation} options=${locationOptions(locations)} testid="filter-location" />
      <${SelectFilter} id="ev-uei" label="Event" value=${uei} onChange=${setUei} options=${ueiOptions()} testid="filter-uei" />
      <${SelectFilter} id="ev-severity" label="Severity" value=${severity} onChange=${setSeverity} options=${severityOptions()} testid="filter-severity" />
      <div class="filter">
        <label for="ev-since">Since</label>
        <${DateTimeInput} id="ev-since" value=${since} onChange=${setSince} testid="filter-since" />
      </div>
      <div class="filter">
        <label for="ev-until">Until</label>
        <${DateTimeInput} id="ev-until" value=${until} onChange=${setUntil} testid="filter-until" />
      </div>
      <div class="filter filter-button"><button type="button" class="btn btn-small" onClick=${clear}>Clear filters</button></div>
    </form>
    <${ErrorBox} error=${error} onRetry=${load} />
    ${events === null && loading ? html`<${Loading} />` : null}
    ${events !== null
      ? shown.length === 0
        ? html`<${Empty}>No events match.</${Empty}>`
        : html`<${TableWrap} label="Events" testid="events">
            <table class="events cards" data-testid="events-table">
              <thead><tr><th scope="col">Time</th><th scope="col">Severity</th><th scope="col">Event</th><th scope="col">Location</th><th scope="col">Monitor</th><th scope="col">Service</th><th scope="col">Details</th></tr></thead>
              <tbody>
                ${shown.slice(0, rendered).map((e) => html`<${EventRow} key=${e.id} event=${e} fresh=${fresh.has(e.id)} />`)}
              </tbody>
            </table>
          </${TableWrap}>
          <p class="list-foot muted">
            ${countOf(shown.length, 'event')} shown${severity ? ` (of ${events.length} loaded)` : ''}.
            ${more ? html` <button type="button" class="btn btn-small" onClick=${loadOlder}>Load older events</button>` : null}
          </p>`
      : null}
  </section>`;
}

/** @param {{ event: StoredEvent, fresh: boolean }} props */
function EventRow({ event: e, fresh }) {
  const { monitorName, reason, ...rest } = e.params ?? {};
  const others = Object.entries(rest);
  return html`<tr data-testid="event-row" data-uei=${ueiName(e.uei)} data-severity=${e.severity} data-event-id=${e.id} class=${fresh ? 'row-new' : ''}>
    <td class="nowrap"><${Time} ms=${e.time} /><div class="muted small"><${Time} ms=${e.time} mode="short" /></div></td>
    <td><${SeverityBadge} severity=${e.severity} /></td>
    <td><span class="event-label">${ueiLabel(e.uei)}</span><div class="muted small uei-name" title=${e.uei}>${ueiName(e.uei)}</div></td>
    <td>${e.location ?? html`<span class="muted">—</span>`}</td>
    <td>${monitorName ?? (e.monitorId ? e.monitorId.slice(0, 8) : html`<span class="muted">—</span>`)}</td>
    <td>${e.serviceId ? html`<a class="sid" href=${href(['services', e.serviceId])}>${e.serviceId}</a>` : html`<span class="muted">—</span>`}</td>
    <td class="reason">
      ${reason ? html`<div>${reason}</div>` : null}
      ${others.length ? html`<div class="muted small">${others.map(([k, v]) => `${k}: ${v}`).join(' · ')}</div>` : null}
    </td>
  </tr>`;
}
