/** REST for notifications: the outbox, by state (pending, in flight, delivered, dead letters). */
import type { FastifyInstance } from 'fastify';
import type { NotificationList } from '../notifications/outbox-store.ts';
import { QueryReader } from './query-params.ts';

export function registerNotificationRoutes(app: FastifyInstance, outbox: NotificationList): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/notifications', async (request, reply) => {
    const q = new QueryReader(request.query, ['state', 'limit']);
    const state = q.oneOf('state', ['pending', 'inflight', 'delivered', 'dead'] as const);
    const limit = q.int('limit', 1, 1000) ?? 100;
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    return outbox.list(state, limit);
  });
}
