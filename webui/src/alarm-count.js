/**
 * How many alarms are open, beside Alarms in the navigation. It is read with
 * GET /api/alarms/count (a count, not the alarms) and kept current by the
 * events that raise or clear alarms; on the Alarms page the page's own list
 * (open, unfiltered) gives the count, so that page asks for it only when its
 * list was cut at its limit.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { catalogueLoaded, changesAlarms } from './catalogue.js';
import { useLiveRefresh } from './live.js';
import { getAlarmCount } from './rest.js';

/** @type {number | null} */
let count = null;
/** @type {Set<(n: number | null) => void>} */
const listeners = new Set();

/** Tells every count shown; null hides it (unknown). */
function show(/** @type {number | null} */ n) {
  count = n;
  for (const fn of listeners) fn(n);
}

/** Reads the count from the backend. */
function loadCount() {
  getAlarmCount().then(
    (answer) => show(answer.open),
    () => show(null),
  );
}

/** The Alarms page's open, unfiltered list was just loaded: its length is the count (null: it was cut at its limit, so the count is asked for). */
export function reportOpenAlarms(/** @type {number | null} */ n) {
  if (n === null) loadCount();
  else show(n);
}

/** @param {{ onAlarmsPage: boolean }} props */
export function OpenAlarmCount({ onAlarmsPage }) {
  const [open, setOpen] = useState(count);
  useEffect(() => {
    listeners.add(setOpen);
    // The count may have come (the request starts at render) before this listened.
    setOpen(count);
    return () => {
      listeners.delete(setOpen);
    };
  }, []);
  const load = () => {
    if (!onAlarmsPage) loadCount();
  };
  useLiveRefresh(load, { pollMs: 30_000, liveEveryMs: 120_000, debounceMs: 1000, matches: (e) => catalogueLoaded() && changesAlarms(e.uei), deps: [onAlarmsPage] });
  if (!open) return null;
  const shown = String(open);
  return html`<span class="nav-count" data-testid="open-alarm-count" title=${`${shown} open ${open === 1 ? 'alarm' : 'alarms'}`}>
    <span class="sr-only">, </span>${shown}<span class="sr-only"> open</span>
  </span>`;
}
