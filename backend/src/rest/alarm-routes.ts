/** REST for alarms: list with filters, acknowledge and unacknowledge, clear by hand. */
import { isUeiValue } from '@vantage/common';
import { SEVERITIES } from '@vantage/events';
import type { FastifyInstance } from 'fastify';
import { acknowledgeAlarm, AlarmNotFoundError, clearAlarmByHand, queryAlarms } from '../alarms/alarm-store.ts';
import type { Database } from '../db/database.ts';
import { QueryReader } from './query-params.ts';

/** Who acts: the signed-in user (the sign-in hook guarantees one on these routes). */
const userOf = (request: { user?: { username: string } }) => request.user?.username ?? 'unknown';

export function registerAlarmRoutes(app: FastifyInstance, db: Database): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/alarms', async (request, reply) => {
    const q = new QueryReader(request.query, ['state', 'location', 'monitor', 'uei', 'severity', 'limit']);
    const uei = q.string('uei');
    q.check(uei === undefined || isUeiValue(uei), `uei "${uei}" is not an event Vantage emits`);
    const query = {
      state: q.oneOf('state', ['open', 'cleared', 'all'] as const),
      location: q.string('location'),
      monitorId: q.string('monitor'),
      uei,
      severity: q.oneOf('severity', SEVERITIES),
      limit: q.int('limit', 1, 1000),
    };
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    return queryAlarms(db, query);
  });

  type Request = { params: { id: string }; user?: { username: string } };
  const byId = (handler: (id: number, request: Request) => Promise<unknown>) => async (request: Request, reply: { code: (n: number) => { send: (b: unknown) => unknown } }) => {
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id) || id < 1) return reply.code(400).send({ error: `alarm id must be a positive whole number, got "${request.params.id}"` });
    try {
      return await handler(id, request);
    } catch (err) {
      if (err instanceof AlarmNotFoundError) return reply.code(404).send({ error: err.message });
      throw err;
    }
  };
  app.post<{ Params: { id: string } }>('/api/alarms/:id/acknowledge', byId((id, request) => acknowledgeAlarm(db, id, userOf(request), Date.now())));
  app.post<{ Params: { id: string } }>('/api/alarms/:id/unacknowledge', byId((id) => acknowledgeAlarm(db, id, null, Date.now())));
  app.post<{ Params: { id: string } }>('/api/alarms/:id/clear', byId((id, request) => clearAlarmByHand(db, id, userOf(request), Date.now())));
}
