/**
 * The event catalogue, read from the backend (GET /api/events/catalogue)
 * once after sign-in: what each event is called, its severity, and whether
 * it raises or clears an alarm. The shell shows no page before it is loaded,
 * so pages read it synchronously.
 */
import { getEventCatalogue } from './rest.js';

/** @typedef {import('./rest.js').EventDefinition} EventDefinition */

/** @type {Promise<void> | null} */
let loading = null;
/** @type {{ severities: string[], events: EventDefinition[], byUei: Map<string, EventDefinition> } | null} */
let loaded = null;

/**
 * Loads the catalogue, once; a failed load is tried again at the next call.
 * `early`: asked at page load together with the session (one round trip
 * less before the first page shows); a refusal there is not a lost session.
 */
export function loadCatalogue(early = false) {
  loading ??= getEventCatalogue(early).then(
    (catalogue) => {
      loaded = { ...catalogue, byUei: new Map(catalogue.events.map((e) => [e.uei, e])) };
    },
    (/** @type {unknown} */ err) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** Whether the catalogue is here (pages may then be shown). */
export const catalogueLoaded = () => loaded !== null;

function catalogue() {
  if (!loaded) throw new Error('The event catalogue is not loaded yet.');
  return loaded;
}

/** Every event the backend emits, in the catalogue's order. */
export const eventDefinitions = () => catalogue().events;

/** Every severity, lowest first. */
export const severities = () => catalogue().severities;

/** The short name of a UEI ("locationMonitorPaused"), or the UEI itself when the catalogue does not know it. */
export const ueiName = (/** @type {string} */ uei) => catalogue().byUei.get(uei)?.name ?? uei;

/** A person's wording for a UEI, or its name when the catalogue does not know it. */
export const ueiLabel = (/** @type {string} */ uei) => catalogue().byUei.get(uei)?.label ?? ueiName(uei);

/** Whether events with this UEI raise (or reduce into) an alarm: the UEIs alarms carry. */
export const raisesAlarm = (/** @type {string} */ uei) => catalogue().byUei.get(uei)?.alarm === 'raises';

/** Whether events with this UEI raise or clear an alarm. */
export const changesAlarms = (/** @type {string} */ uei) => (catalogue().byUei.get(uei)?.alarm ?? null) !== null;
