/**
 * REST for the event catalogue: every event Vantage emits, as
 * events/src/catalogue.ts defines it, so the web UI and scripts read labels,
 * severities and alarm roles from the server instead of keeping a copy.
 */
import { eventCatalogue, SEVERITIES, type EventDefinition, type Severity } from '@vantage/events';
import type { UeiValue } from '@vantage/common';
import type { FastifyInstance } from 'fastify';

/** What an event does to alarms: raises (or reduces into) one, clears one, or nothing. */
export type AlarmRole = 'raises' | 'clears' | null;

/** One event definition as GET /api/events/catalogue gives it. */
export interface EventCatalogueEntry {
  /** The full UEI, e.g. `uei.opennms.org/remote/nodes/nodeLostService`. */
  uei: UeiValue;
  /** The UEI's last segment, e.g. `nodeLostService`. */
  name: string;
  label: string;
  description: string;
  severity: Severity;
  alarm: AlarmRole;
}

/** The answer of GET /api/events/catalogue. */
export interface EventCatalogueAnswer {
  /** Every severity, lowest first (alarms and events are filtered by these). */
  severities: readonly Severity[];
  /** Every event, in the catalogue's order. */
  events: EventCatalogueEntry[];
}

function catalogueEntry(definition: EventDefinition): EventCatalogueEntry {
  const { uei, label, description, severity, alarm } = definition;
  return {
    uei,
    name: uei.slice(uei.lastIndexOf('/') + 1),
    label,
    description,
    severity,
    alarm: alarm === undefined ? null : alarm.type === 'problem' ? 'raises' : 'clears',
  };
}

export function registerEventCatalogueRoute(app: FastifyInstance): void {
  // The catalogue is fixed for the life of the process: build the answer once.
  const answer: EventCatalogueAnswer = { severities: SEVERITIES, events: eventCatalogue.map(catalogueEntry) };
  app.get('/api/events/catalogue', async () => answer);
}
