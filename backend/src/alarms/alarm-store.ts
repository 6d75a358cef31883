/**
 * Alarms, kept in the same transaction as the events that raise and clear
 * them: a problem event reduces into the alarm with its reduction key (the
 * count goes up; a cleared alarm is raised again), a resolution event clears
 * the alarm whose key it names. Operators acknowledge alarms; cleared ones
 * are deleted after a retention.
 */
import { alarmActionFor, eventDefinition, type StoredEvent } from '@vantage/events';
import { Uei, type UeiValue } from '@vantage/common';
import { In, IsNull, LessThan, type EntityManager } from 'typeorm';
import type { Database } from '../db/database.ts';
import { AlarmEntity, type AlarmRow } from '../db/entities.ts';

export const DEFAULT_CLEARED_ALARM_RETENTION_MS = 3 * 24 * 3_600_000;

export class AlarmNotFoundError extends Error {}

/** Applies stored events to alarms, in order, inside the caller's transaction. */
export async function applyEventsToAlarms(manager: EntityManager, events: readonly StoredEvent[]): Promise<void> {
  for (const event of events) {
    const action = alarmActionFor({ ...event, uei: event.uei as UeiValue });
    if (!action) continue;
    // The row lock serialises two backends reducing into the same alarm.
    const existing = await manager.findOne(AlarmEntity, { where: { reductionKey: action.reductionKey }, lock: { mode: 'pessimistic_write' } });
    if (action.kind === 'clear') {
      if (existing && existing.clearedAt === null) {
        await manager.update(AlarmEntity, { id: existing.id }, { clearedAt: event.time, severity: 'Cleared', lastEventId: event.id, lastEventTime: event.time });
      }
      continue;
    }
    if (existing) {
      await manager.update(AlarmEntity, { id: existing.id }, {
        count: existing.count + 1,
        lastEventTime: event.time,
        lastEventId: event.id,
        severity: event.severity,
        reason: event.params.reason ?? existing.reason,
        // A problem that comes back is a live alarm again, and needs a fresh acknowledgement.
        clearedAt: null,
        ...(existing.clearedAt !== null ? { acknowledgedBy: null, acknowledgedAt: null } : {}),
      });
    } else {
      await manager.insert(AlarmEntity, {
        reductionKey: action.reductionKey,
        uei: event.uei,
        severity: event.severity,
        location: event.location,
        monitorId: event.monitorId,
        serviceId: event.serviceId,
        nodeLabel: event.nodeLabel,
        application: event.params.application ?? null,
        description: eventDefinition(event.uei as UeiValue).label,
        reason: event.params.reason ?? null,
        firstEventTime: event.time,
        lastEventTime: event.time,
        lastEventId: event.id,
        count: 1,
        clearedAt: null,
        acknowledgedBy: null,
        acknowledgedAt: null,
      });
    }
  }
}

/**
 * Clears alarms without a resolution event, for a reason stored on them:
 * lost-service alarms explained by the monitor's own connectivity, say.
 */
export async function clearAlarms(manager: EntityManager, reductionKeys: readonly string[], timeMs: number, reason: string): Promise<number> {
  if (reductionKeys.length === 0) return 0;
  const result = await manager.update(
    AlarmEntity,
    { reductionKey: In([...reductionKeys]), clearedAt: IsNull() },
    { clearedAt: timeMs, severity: 'Cleared', reason },
  );
  return result.affected ?? 0;
}

/** The reduction key of a monitor's lost-service alarm for a service. */
export function lostServiceKey(monitorId: string, serviceId: string): string {
  return alarmActionFor({ uei: Uei.nodeLostService, monitorId, serviceId, params: {} })!.reductionKey;
}

export interface AlarmQuery {
  /** Only alarms not cleared (the default), only cleared ones, or all. */
  state?: 'open' | 'cleared' | 'all';
  location?: string;
  monitorId?: string;
  uei?: string;
  severity?: string;
  limit?: number;
}

export async function queryAlarms(db: Database, query: AlarmQuery): Promise<AlarmRow[]> {
  const qb = db.manager.getRepository(AlarmEntity).createQueryBuilder('a');
  const state = query.state ?? 'open';
  if (state === 'open') qb.andWhere('a.cleared_at IS NULL');
  if (state === 'cleared') qb.andWhere('a.cleared_at IS NOT NULL');
  if (query.location !== undefined) qb.andWhere('a.location = :location', { location: query.location });
  if (query.monitorId !== undefined) qb.andWhere('a.monitor_id = :monitorId', { monitorId: query.monitorId });
  if (query.uei !== undefined) qb.andWhere('a.uei = :uei', { uei: query.uei });
  if (query.severity !== undefined) qb.andWhere('a.severity = :severity', { severity: query.severity });
  return qb.orderBy('a.last_event_time', 'DESC').addOrderBy('a.id', 'DESC').limit(Math.min(query.limit ?? 100, 1000)).getMany();
}

/** How many alarms are open (not cleared): the navigation's count, without reading the alarms. */
export async function countOpenAlarms(db: Database): Promise<number> {
  return db.manager.getRepository(AlarmEntity).countBy({ clearedAt: IsNull() });
}

export async function acknowledgeAlarm(db: Database, id: number, user: string | null, now: number): Promise<AlarmRow> {
  return db.transaction(async (manager) => {
    const alarm = await manager.findOne(AlarmEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!alarm) throw new AlarmNotFoundError(`no alarm with id ${id}`);
    Object.assign(alarm, user === null ? { acknowledgedBy: null, acknowledgedAt: null } : { acknowledgedBy: user, acknowledgedAt: now });
    await manager.save(AlarmEntity, alarm);
    return alarm;
  });
}

/** An operator clears an alarm by hand (the problem is known to be gone or irrelevant). */
export async function clearAlarmByHand(db: Database, id: number, user: string, now: number): Promise<AlarmRow> {
  return db.transaction(async (manager) => {
    const alarm = await manager.findOne(AlarmEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!alarm) throw new AlarmNotFoundError(`no alarm with id ${id}`);
    if (alarm.clearedAt === null) Object.assign(alarm, { clearedAt: now, severity: 'Cleared', reason: `cleared by ${user}` });
    await manager.save(AlarmEntity, alarm);
    return alarm;
  });
}

/** Deletes alarms cleared longer ago than the retention; returns how many. */
export async function deleteClearedAlarms(db: Database, now: number, retentionMs: number): Promise<number> {
  return db.transaction(async (manager) => {
    const result = await manager.delete(AlarmEntity, { clearedAt: LessThan(now - retentionMs) });
    return result.affected ?? 0;
  });
}
