/**
 * Outages: one per service per location monitor, opened when the monitor
 * sees the service go down and closed when it sees it up again. Outage
 * calendars suppress events and alarms, never this record; an outage that
 * began inside a calendar window is marked `scheduled`.
 */
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/database.ts';
import { OutageEntity, type OutageRow } from '../db/entities.ts';

export async function openOutage(
  manager: EntityManager,
  outage: { monitorId: string; location: string; serviceId: string; nodeLabel: string | null; startedAt: number; reason: string | null; scheduled: boolean },
): Promise<void> {
  // The partial unique index allows one open outage per service and monitor; a second open is a no-op.
  await manager.createQueryBuilder().insert().into(OutageEntity).values({ ...outage, endedAt: null }).orIgnore().execute();
}

export async function closeOutage(manager: EntityManager, monitorId: string, serviceId: string, endedAt: number): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(OutageEntity)
    .set({ endedAt })
    .where('monitor_id = :monitorId AND service_id = :serviceId AND ended_at IS NULL', { monitorId, serviceId })
    .execute();
}

export interface OutageQuery {
  location?: string;
  monitorId?: string;
  serviceId?: string;
  /** Outages that overlap [fromMs, toMs]. */
  fromMs?: number;
  toMs?: number;
  openOnly?: boolean;
  limit?: number;
}

export async function queryOutages(db: Database, query: OutageQuery): Promise<OutageRow[]> {
  const qb = db.manager.getRepository(OutageEntity).createQueryBuilder('o');
  if (query.location !== undefined) qb.andWhere('o.location = :location', { location: query.location });
  if (query.monitorId !== undefined) qb.andWhere('o.monitor_id = :monitorId', { monitorId: query.monitorId });
  if (query.serviceId !== undefined) qb.andWhere('o.service_id = :serviceId', { serviceId: query.serviceId });
  if (query.toMs !== undefined) qb.andWhere('o.started_at <= :toMs', { toMs: query.toMs });
  if (query.fromMs !== undefined) qb.andWhere('(o.ended_at IS NULL OR o.ended_at >= :fromMs)', { fromMs: query.fromMs });
  if (query.openOnly) qb.andWhere('o.ended_at IS NULL');
  return qb.orderBy('o.started_at', 'DESC').addOrderBy('o.id', 'DESC').limit(Math.min(query.limit ?? 500, 5000)).getMany();
}
