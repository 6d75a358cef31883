/** REST for the audit trail: who changed what, newest first, with filters. */
import type { FastifyInstance } from 'fastify';
import { queryAudit } from '../audit/audit-trail.ts';
import type { Database } from '../db/database.ts';
import { QueryReader } from './query-params.ts';

export function registerAuditRoutes(app: FastifyInstance, db: Database): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/audit', async (request, reply) => {
    const q = new QueryReader(request.query, ['user', 'action', 'target', 'from', 'to', 'limit']);
    const query = {
      user: q.string('user'),
      action: q.string('action'),
      target: q.string('target'),
      fromMs: q.int('from', 0),
      toMs: q.int('to', 0),
      limit: q.int('limit', 1, 1000),
    };
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    return queryAudit(db.manager, query);
  });
}
