/**
 * How many alarms are open, beside Alarms in the navigation. It is read with
 * GET /api/alarms and kept current by the events that raise or clear
 * alarms; on the Alarms page the page's own list (open, unfiltered) gives
 * the count, so that page does not ask for its alarms twice.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { catalogueLoaded, changesAlarms } from './catalogue.js';
import { useLiveRefresh } from './live.js';
import { getAlarms } from './rest.js';

/** The most open alarms counted; more reads "999+". */
const LIMIT = 1000;

/** @type {number | null} */
let count = null;
/** @type {Set<(n: number | null) => void>} */
const listeners = new Set();

/** The Alarms page's open, unfiltered list was just loaded: its length is the count (null: it was cut at its limit). */
export function reportOpenAlarms(/** @type {number | null} */ n) {
  count = n;
  for (const fn of listeners) fn(n);
}

/** @param {{ onAlarmsPage: boolean }} props */
export function OpenAlarmCount({ onAlarmsPage }) {
  const [open, setOpen] = useState(count);
  useEffect(() => {
    listeners.add(setOpen);
    return () => {
      listeners.delete(setOpen);
    };
  }, []);
  const load = () => {
    if (onAlarmsPage) return;
    getAlarms({ state: 'open', limit: LIMIT }).then(
      (list) => reportOpenAlarms(list.length),
      () => reportOpenAlarms(null),
    );
  };
  useLiveRefresh(load, { pollMs: 30_000, liveEveryMs: 120_000, debounceMs: 1000, matches: (e) => catalogueLoaded() && changesAlarms(e.uei), deps: [onAlarmsPage] });
  if (!open) return null;
  const shown = open >= LIMIT ? `${LIMIT - 1}+` : String(open);
  return html`<span class="nav-count" data-testid="open-alarm-count" title=${`${shown} open ${open === 1 ? 'alarm' : 'alarms'}`}>
    <span class="sr-only">, </span>${shown}<span class="sr-only"> open</span>
  </span>`;
}
