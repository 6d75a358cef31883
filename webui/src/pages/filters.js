/** Filter controls shared by the Events and Alarms pages. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useLoadEffect } from '../load-effect.js';
import { eventDefinitions, severities } from '../catalogue.js';
import { getLocations } from '../rest.js';

/** The configured location names, for filter lists (empty until loaded or on failure: the filter still works as "All"). */
export function useLocationNames() {
  const [names, setNames] = useState(/** @type {string[]} */ ([]));
  useLoadEffect(() => {
    getLocations().then(
      (list) => setNames(list.map((l) => l.name)),
      () => setNames([]),
    );
  }, []);
  return names;
}

/**
 * @param {{ id: string, label: string, value: string, onChange: (v: string) => void, options: { value: string, label: string }[], testid?: string }} props
 */
export function SelectFilter({ id, label, value, onChange, options, testid }) {
  return html`<div class="filter">
    <label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${(/** @type {import('preact').TargetedEvent<HTMLSelectElement>} */ e) => onChange(e.currentTarget.value)} data-testid=${testid}>
      ${options.map((o) => html`<option value=${o.value} selected=${o.value === value}>${o.label}</option>`)}
    </select>
  </div>`;
}

export const locationOptions = (/** @type {string[]} */ names) => [{ value: '', label: 'All locations' }, ...names.map((n) => ({ value: n, label: n }))];
/** The events of the catalogue that `only` accepts (all by default). @param {(uei: string) => boolean} [only] */
export const ueiOptions = (only = () => true) => [
  { value: '', label: 'All events' },
  ...eventDefinitions()
    .filter((e) => only(e.uei))
    .map((e) => ({ value: e.uei, label: `${e.label} (${e.name})` })),
];
/** The catalogue's severities, highest first. */
export const severityOptions = () => [{ value: '', label: 'Any severity' }, ...[...severities()].reverse().map((s) => ({ value: s, label: s }))];
