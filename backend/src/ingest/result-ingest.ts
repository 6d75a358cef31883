/**
 * reportResults: stores a batch of results and turns status changes into
 * nodeLostService / nodeRegainedService events, all in one transaction, and
 * acknowledges the highest seq only once that transaction has committed.
 * Results at or below the monitor's acknowledged seq are ignored, so a
 * poller may resend after any failure without anything counting twice.
 * Results inside a scheduled outage (an outage calendar of the service's
 * package) are stored but change no state and raise no event.
 */
import { ErrorCode, ProtocolError, Uei, type ParamsOf, type PollResultRecord, type ResultOf } from '@vantage/common';
import type { EventBus, NewEvent } from '@vantage/events';
import { In } from 'typeorm';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { Database } from '../db/database.ts';
import {
  LocationMonitorEntity,
  PollResultEntity,
  ServiceStateEntity,
  type LocationMonitorRow,
  type ServiceStateRow,
} from '../db/entities.ts';
import { insertEvents } from '../event-store/event-store.ts';

/** Rows per INSERT statement: keeps bind parameters well under PostgreSQL's 65,535. */
const INSERT_CHUNK = 1000;

export class ResultIngest {
  constructor(
    private readonly db: Database,
    private readonly configs: ConfigHolder,
    private readonly bus: EventBus,
  ) {}

  async report(monitor: LocationMonitorRow, params: ParamsOf<'reportResults'>): Promise<ResultOf<'reportResults'>> {
    // Results gathered before a pause are still valid, so membership is checked against the location's package.
    const pkg = this.configs.packageFor(monitor.location);
    const foreign = [...new Set(params.results.map((r) => r.serviceId).filter((id) => !pkg?.serviceIds.has(id)))];
    if (foreign.length > 0) {
      throw new ProtocolError(
        ErrorCode.Forbidden,
        `results for services not in this monitor's package: ${foreign.slice(0, 10).join(', ')}${foreign.length > 10 ? ', …' : ''}`,
        { serviceIds: foreign },
      );
    }
    const nodeLabels = new Map(pkg?.package.services.map((s) => [s.serviceId, s.nodeLabel]));

    const { ackedSeq, events } = await this.db.transaction(async (manager) => {
      const locked = await manager.findOne(LocationMonitorEntity, { where: { id: monitor.id }, lock: { mode: 'pessimistic_write' } });
      const lastSeq = locked?.lastSeq ?? 0;
      const fresh = params.results.filter((r) => r.seq > lastSeq).sort((a, b) => a.seq - b.seq);
      if (fresh.length === 0) return { ackedSeq: lastSeq, events: [] };

      for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
        const chunk = fresh.slice(i, i + INSERT_CHUNK).map((r) => ({
          monitorId: monitor.id,
          seq: r.seq,
          serviceId: r.serviceId,
          timestamp: r.timestamp,
          status: r.status,
          responseTimeMs: r.responseTimeMs ?? null,
          reason: r.reason ?? null,
          details: r.details ?? null,
        }));
        // A duplicate seq inside one batch keeps its first copy.
        await manager.createQueryBuilder().insert().into(PollResultEntity).values(chunk).orIgnore().execute();
      }

      const serviceIds = [...new Set(fresh.map((r) => r.serviceId))];
      const states = new Map<string, ServiceStateRow>();
      for (let i = 0; i < serviceIds.length; i += INSERT_CHUNK) {
        const rows = await manager.findBy(ServiceStateEntity, { monitorId: monitor.id, serviceId: In(serviceIds.slice(i, i + INSERT_CHUNK)) });
        for (const row of rows) states.set(row.serviceId, row);
      }
      const newEvents: NewEvent[] = [];
      const touched = new Map<string, ServiceStateRow>();
      for (const result of fresh) {
        // During scheduled maintenance the result is kept, but the service's state (and so its events) waits:
        // the first result after the window is compared with the state from before it.
        if (this.configs.inScheduledOutage(monitor.location, result.serviceId, result.timestamp)) continue;
        const state = applyResult(states.get(result.serviceId), monitor.id, result);
        if (!state) continue;
        if (state.changed) {
          newEvents.push({
            uei: state.row.status === 'DOWN' ? Uei.nodeLostService : Uei.nodeRegainedService,
            time: result.timestamp,
            location: monitor.location,
            monitorId: monitor.id,
            serviceId: result.serviceId,
            nodeLabel: nodeLabels.get(result.serviceId) ?? null,
            params: { monitorName: monitor.name, ...(result.reason !== undefined ? { reason: result.reason } : {}) },
          });
        }
        states.set(result.serviceId, state.row);
        touched.set(result.serviceId, state.row);
      }
      const touchedRows = [...touched.values()];
      for (let i = 0; i < touchedRows.length; i += INSERT_CHUNK) {
        await manager.upsert(ServiceStateEntity, touchedRows.slice(i, i + INSERT_CHUNK), ['monitorId', 'serviceId']);
      }
      const maxSeq = fresh.at(-1)!.seq;
      await manager.update(LocationMonitorEntity, { id: monitor.id }, { lastSeq: maxSeq });
      return { ackedSeq: maxSeq, events: await insertEvents(manager, newEvents) };
    });
    this.bus.publish(events);
    return { ackedSeq };
  }
}

/**
 * The service's state after one result. A service is taken to be up until a
 * monitor sees otherwise, as in OpenNMS; UNKNOWN changes nothing.
 */
export function applyResult(
  previous: ServiceStateRow | undefined,
  monitorId: string,
  result: PollResultRecord,
): { row: ServiceStateRow; changed: boolean } | null {
  if (result.status === 'UNKNOWN') return null;
  const before = previous?.status ?? 'UP';
  const changed = before !== result.status;
  return {
    changed,
    row: {
      monitorId,
      serviceId: result.serviceId,
      status: result.status,
      changedAt: changed ? result.timestamp : (previous?.changedAt ?? result.timestamp),
      reason: result.status === 'DOWN' ? (result.reason ?? null) : null,
      lastResultAt: result.timestamp,
    },
  };
}
