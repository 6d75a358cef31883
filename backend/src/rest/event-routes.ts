/** REST for events: the stored events, filtered. */
import { isUeiValue } from '@vantage/common';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { MAX_EVENT_PAGE, queryEvents, type EventQuery } from '../event-store/event-store.ts';
import { QueryReader } from './query-params.ts';

export function registerEventRoutes(app: FastifyInstance, db: Database): void {
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
