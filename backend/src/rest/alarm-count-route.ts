/**
 * GET /api/alarms/count: how many alarms are open, `{ open }`. The web UI's
 * navigation shows this number on every page; counting in the database
 * answers it without reading and sending up to a thousand alarms.
 */
import type { FastifyInstance } from 'fastify';
import { countOpenAlarms } from '../alarms/alarm-store.ts';
import type { Database } from '../db/database.ts';

/** The answer of GET /api/alarms/count. */
export interface AlarmCountAnswer {
  open: number;
}

export function registerAlarmCountRoute(app: FastifyInstance, db: Database): void {
  app.get('/api/alarms/count', async (): Promise<AlarmCountAnswer> => ({ open: await countOpenAlarms(db) }));
}
