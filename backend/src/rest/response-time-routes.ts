/** REST for response times: a service's series per monitor, at the finest stored tier that fits. */
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { queryResponseTimes } from '../series/series-query.ts';
import { QueryReader } from './query-params.ts';

export function registerResponseTimeRoutes(app: FastifyInstance, db: Database): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/response-times', async (request, reply) => {
    const q = new QueryReader(request.query, ['service', 'monitor', 'from', 'to', 'maxPoints']);
    const serviceId = q.string('service');
    q.check(serviceId !== undefined, 'service (a service id such as "web1/HTTP") is required');
    const now = Date.now();
    const fromMs = q.int('from', 0) ?? now - 24 * 3_600_000;
    const toMs = q.int('to', 0) ?? now;
    q.check(fromMs < toMs, 'from must be before to');
    const maxPoints = q.int('maxPoints', 2, 5000);
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    const monitor = q.string('monitor');
    return queryResponseTimes(db, { serviceId: serviceId!, fromMs, toMs, ...(maxPoints ? { maxPoints } : {}), ...(monitor ? { monitorIds: monitor.split(',') } : {}) });
  });
}
