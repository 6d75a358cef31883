/**
 * Stores events in the same transaction as the change that raised them, so an
 * event exists exactly when its change was committed, and answers queries.
 */
import { eventDefinition, type NewEvent, type StoredEvent } from '@vantage/events';
import type { EntityManager } from 'typeorm';
import { EventEntity, type EventRow } from '../db/entities.ts';
import type { Database } from '../db/database.ts';

export interface EventQuery {
  location?: string;
  monitorId?: string;
  uei?: string;
  serviceId?: string;
  sinceMs?: number;
  untilMs?: number;
  limit?: number;
}

export const MAX_EVENT_PAGE = 1000;

export async function insertEvents(manager: EntityManager, events: readonly NewEvent[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({
    time: e.time,
    uei: e.uei,
    severity: eventDefinition(e.uei).severity,
    location: e.location,
    monitorId: e.monitorId,
    serviceId: e.serviceId ?? null,
    nodeLabel: e.nodeLabel ?? null,
    params: e.params ?? {},
  }));
  const inserted = await manager.createQueryBuilder().insert().into(EventEntity).values(rows).returning(['id']).execute();
  return rows.map((row, i) => ({ ...row, id: Number((inserted.raw as { id: string | number }[])[i]!.id) }) as StoredEvent);
}

/** The stored events with these ids, oldest id first (ids not stored are left out). */
export async function eventsByIds(db: Database, ids: readonly number[]): Promise<StoredEvent[]> {
  if (ids.length === 0) return [];
  const rows: EventRow[] = await db.manager.getRepository(EventEntity).createQueryBuilder('e').where('e.id IN (:...ids)', { ids }).orderBy('e.id', 'ASC').getMany();
  return rows as StoredEvent[];
}

export async function queryEvents(db: Database, query: EventQuery): Promise<StoredEvent[]> {
  const qb = db.manager.getRepository(EventEntity).createQueryBuilder('e');
  if (query.location !== undefined) qb.andWhere('e.location = :location', { location: query.location });
  if (query.monitorId !== undefined) qb.andWhere('e.monitor_id = :monitorId', { monitorId: query.monitorId });
  if (query.uei !== undefined) qb.andWhere('e.uei = :uei', { uei: query.uei });
  if (query.serviceId !== undefined) qb.andWhere('e.service_id = :serviceId', { serviceId: query.serviceId });
  if (query.sinceMs !== undefined) qb.andWhere('e.time >= :since', { since: query.sinceMs });
  if (query.untilMs !== undefined) qb.andWhere('e.time <= :until', { until: query.untilMs });
  qb.orderBy('e.time', 'DESC').addOrderBy('e.id', 'DESC').limit(Math.min(query.limit ?? 100, MAX_EVENT_PAGE));
  const rows: EventRow[] = await qb.getMany();
  return rows as StoredEvent[];
}
