/** REST for outages: per service and location monitor, filtered by time window. */
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { queryOutages } from '../outages/outage-store.ts';
import { QueryReader } from './query-params.ts';

export function registerOutageRoutes(app: FastifyInstance, db: Database): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/outages', async (request, reply) => {
    const q = new QueryReader(request.query, ['location', 'monitor', 'service', 'from', 'to', 'open', 'limit']);
    const query = {
      location: q.string('location'),
      monitorId: q.string('monitor'),
      serviceId: q.string('service'),
      fromMs: q.int('from', 0),
      toMs: q.int('to', 0),
      openOnly: q.oneOf('open', ['true', 'false'] as const) === 'true',
      limit: q.int('limit', 1, 5000),
    };
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    return queryOutages(db, query);
  });
}
