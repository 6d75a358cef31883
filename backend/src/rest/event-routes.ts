/**
 * REST for events: the stored events, filtered; and the catalogue of every
 * event Vantage emits, as events/src/catalogue.ts defines it, so the web UI
 * and scripts read labels, severities and alarm roles from the server
 * instead of keeping a copy.
 */
import { isUeiValue, type UeiValue } from '@vantage/common';
import { eventCatalogue, SEVERITIES, type EventDefinition, type Severity } from '@vantage/events';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { MAX_EVENT_PAGE, queryEvents, type EventQuery } from '../event-store/event-store.ts';
import { prepare, sendPrepared } from './compressed-files.ts';
import { QueryReader } from './query-params.ts';

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

export function registerEventRoutes(app: FastifyInstance, db: Database): void {
  // The catalogue is fixed for the life of the process: the answer is built (and compressed) once, with an
  // ETag, and the browser may keep it (it holds no secret) and revalidate it: every page load asks for it,
  // and is answered 304 with no body.
  const catalogue: EventCatalogueAnswer = { severities: SEVERITIES, events: eventCatalogue.map(catalogueEntry) };
  let prepared: ReturnType<typeof prepare> | undefined;
  app.get('/api/events/catalogue', async (request, reply) => {
    prepared ??= prepare(Buffer.from(JSON.stringify(catalogue)));
    return sendPrepared(request, reply, await prepared, 'application/json; charset=utf-8', 'private, no-cache');
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/events', async (request, reply) => {
    const q = new QueryReader(request.query, ['location', 'monitor', 'service', 'uei', 'since', 'until', 'limit']);
    const uei = q.string('uei');
    q.check(uei === undefined || isUeiValue(uei), `uei "${uei}" is not an event Vantage emits`);
    const query: EventQuery = {
      location: q.string('location'),
      monitorId: q.string('monitor'),
      serviceId: q.string('service'),
      uei,
      sinceMs: q.int('since', 0),
      untilMs: q.int('until', 0),
      limit: q.int('limit', 1, MAX_EVENT_PAGE),
    };
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    return queryEvents(db, query);
  });
}
