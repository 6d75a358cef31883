/**
 * A monitor that sees every service it polls fail while another location
 * reaches one of them *at the same time* has lost its own connectivity: the
 * services are fine, its network is not. Then one connectivity event is
 * raised for it instead of a lost-service alarm per service; lost-service
 * alarms already raised for it are cleared as explained, and its
 * announcements wait until it sees a service up again.
 *
 * Only observations that overlap in time count. Another location's UP is
 * evidence when it was observed at or after the moment this monitor saw the
 * service fail, and is fresh (within two of the service's intervals of now).
 * An UP from before the failure says nothing: the other location has simply
 * not looked since, and the outage may be real (two locations detect a real
 * outage up to an interval apart). Another location that sees one of the
 * monitor's services down (its current state: a service that stays down may
 * be polled less often) confirms the outage: the monitor's view is real. The decision is re-evaluated whenever results arrive, from this
 * monitor or another location (result-ingest.ts): a later overlapping UP
 * decides the loss, a later confirmation withdraws it, and then the
 * monitor's DOWNs are announced (its alarms raised or raised again) and it
 * counts as reporting again.
 *
 * "Every service it polls" is its package, or at a `distribute` location its
 * share (the services it holds; the hand-off removes its state of the
 * others), and "other locations" are other locations only: the monitors of
 * its own location poll other services (distribute) or share its network.
 */
import { Uei, type PolledService } from '@vantage/common';
import type { NewEvent } from '@vantage/events';
import type { EntityManager } from 'typeorm';
import { clearAlarms, lostServiceKey } from '../alarms/alarm-store.ts';
import { LocationMonitorEntity, ServiceStateEntity, type LocationMonitorRow } from '../db/entities.ts';

/** Fewer services than this and "all down" says as much about the services as about the monitor. */
export const MIN_SERVICES_FOR_CONNECTIVITY = 2;

/** Another location's observation counts while it is at most this many of the service's intervals old. */
const FRESH_INTERVALS = 2;

export type ConnectivityChange = { kind: 'lost'; events: NewEvent[] } | { kind: 'restored'; events: NewEvent[] } | null;

/** A service as a location polls it (undefined when the location does not poll it). */
export type ServiceAt = (location: string, serviceId: string) => Pick<PolledService, 'intervalMs' | 'nodeLabel'> | undefined;

/** Another location's view of a service this monitor sees down. */
interface OtherView {
  location: string;
  serviceId: string;
  status: 'UP' | 'DOWN';
  /** When that location last polled the service. */
  observedAt: number;
  /** Since when that location sees its status. */
  changedAt: number;
  /** Since when this monitor sees the service down. */
  downSince: number;
}

export async function evaluateConnectivity(
  manager: EntityManager,
  monitor: LocationMonitorRow,
  /** How many services the monitor polls: its package, or its share at a `distribute` location. */
  polledCount: number,
  nowMs: number,
  serviceAt: ServiceAt,
): Promise<ConnectivityChange> {
  if (!monitor.connectivityLost) {
    if (polledCount < MIN_SERVICES_FOR_CONNECTIVITY) return null;
    // The usual answer, found at the first row rather than by counting every service of a large package:
    // connectivity that is not lost stays so while any service is not DOWN. (Lost connectivity is looked at
    // further even while no service is UP: other locations may have confirmed the outage since.)
    const [usual] = (await manager.query(`SELECT EXISTS (SELECT 1 FROM service_state WHERE monitor_id = $1 AND status <> 'DOWN') AS found`, [monitor.id])) as {
      found: boolean;
    }[];
    if (usual?.found) return null;
  }
  const [counts] = (await manager.query(
    `SELECT count(*) FILTER (WHERE status = 'DOWN')::int AS down, count(*) FILTER (WHERE status = 'UP')::int AS up
       FROM service_state WHERE monitor_id = $1`,
    [monitor.id],
  )) as { down: number; up: number }[];
  const down = counts?.down ?? 0;
  const base = { location: monitor.location, monitorId: monitor.id } as const;

  if (monitor.connectivityLost) {
    if ((counts?.up ?? 0) > 0) {
      await manager.update(LocationMonitorEntity, { id: monitor.id }, { connectivityLost: false });
      return {
        kind: 'restored',
        events: [{ ...base, time: nowMs, uei: Uei.monitorConnectivityRestored, params: { monitorName: monitor.name, reason: 'a service is up again from this monitor' } }],
      };
    }
    const confirming = (await otherViews(manager, monitor)).filter((v) => v.status === 'DOWN');
    return confirming.length > 0 ? withdraw(manager, monitor, confirming, nowMs, serviceAt) : null;
  }

  if (polledCount < MIN_SERVICES_FOR_CONNECTIVITY || down < polledCount) return null;
  const views = await otherViews(manager, monitor);
  // Another location sees one of its services down too: the outage is real, whatever else is reachable.
  if (views.some((v) => v.status === 'DOWN')) return null;
  const witnesses = fresh(views, nowMs, serviceAt).filter((v) => v.status === 'UP' && v.observedAt >= v.downSince);
  if (witnesses.length === 0) return null;

  await manager.update(LocationMonitorEntity, { id: monitor.id }, { connectivityLost: true });
  // Lost-service alarms already raised from this monitor are explained by its connectivity.
  const announcedDown = await manager.findBy(ServiceStateEntity, { monitorId: monitor.id, eventStatus: 'DOWN' });
  await clearAlarms(manager, announcedDown.map((s) => lostServiceKey(monitor.id, s.serviceId)), nowMs, "explained by the monitor's own connectivity");
  await manager.update(ServiceStateEntity, { monitorId: monitor.id, eventStatus: 'DOWN' }, { eventStatus: 'UP' });
  // Dated from the first moment known to overlap: this monitor saw the service fail while the
  // other location saw it up (what the monitor saw since was its own network). Never before
  // its last connectivity event: the history replays these events in time order.
  const [last] = (await manager.query(`SELECT max(time) AS time FROM event WHERE monitor_id = $1 AND uei IN ($2, $3)`, [
    monitor.id,
    Uei.monitorConnectivityLost,
    Uei.monitorConnectivityRestored,
  ])) as { time: string | number | null }[];
  const overlapSince = Math.min(...witnesses.map((w) => Math.max(w.downSince, w.changedAt)));
  const since = Math.min(nowMs, Math.max(overlapSince, Number(last?.time ?? 0)));
  const locations = distinct(witnesses.map((w) => w.location));
  const services = distinct(witnesses.map((w) => w.serviceId));
  return {
    kind: 'lost',
    events: [
      {
        ...base,
        time: since,
        uei: Uei.monitorConnectivityLost,
        params: {
          monitorName: monitor.name,
          witnesses: locations.join(', '),
          reason:
            `${monitor.name} cannot reach any of the ${polledCount} services it polls, while ${listed(locations)} reached ${listed(services)} ` +
            "at the same time or later: the problem is this monitor's network, not the services",
        },
      },
    ],
  };
}

/**
 * Other locations see the monitor's services down too: its DOWNs were real.
 * It counts as reporting again, and each service it sees down is announced
 * (its lost-service alarm raised, or raised again if the loss had cleared it).
 */
async function withdraw(
  manager: EntityManager,
  monitor: LocationMonitorRow,
  confirming: readonly OtherView[],
  nowMs: number,
  serviceAt: ServiceAt,
): Promise<ConnectivityChange> {
  await manager.update(LocationMonitorEntity, { id: monitor.id }, { connectivityLost: false });
  const [lost] = (await manager.query(`SELECT max(time) AS time FROM event WHERE monitor_id = $1 AND uei = $2`, [monitor.id, Uei.monitorConnectivityLost])) as {
    time: string | number | null;
  }[];
  // From when the other locations saw the services fail, as far back as the decision it withdraws.
  const confirmedAt = Math.min(nowMs, Math.max(Number(lost?.time ?? 0), Math.min(...confirming.map((v) => v.changedAt))));
  const unannounced = await manager.findBy(ServiceStateEntity, { monitorId: monitor.id, status: 'DOWN', eventStatus: 'UP' });
  await manager.update(ServiceStateEntity, { monitorId: monitor.id, status: 'DOWN', eventStatus: 'UP' }, { eventStatus: 'DOWN' });
  const locations = distinct(confirming.map((v) => v.location));
  const services = distinct(confirming.map((v) => v.serviceId));
  return {
    kind: 'restored',
    events: [
      {
        location: monitor.location,
        monitorId: monitor.id,
        time: confirmedAt,
        uei: Uei.monitorConnectivityRestored,
        params: {
          monitorName: monitor.name,
          reason: `${listed(locations)} ${locations.length === 1 ? 'sees' : 'see'} ${listed(services)} down too: the outage is real, not this monitor's network`,
        },
      },
      ...unannounced.map((state) => ({
        uei: Uei.nodeLostService,
        time: confirmedAt,
        location: monitor.location,
        monitorId: monitor.id,
        serviceId: state.serviceId,
        nodeLabel: serviceAt(monitor.location, state.serviceId)?.nodeLabel ?? null,
        params: { monitorName: monitor.name, ...(state.reason !== null ? { reason: state.reason } : {}) },
      })),
    ],
  };
}

/** What the other locations' monitors (started, unpaused, not themselves cut off) see of the services this monitor sees down. */
async function otherViews(manager: EntityManager, monitor: LocationMonitorRow): Promise<OtherView[]> {
  const rows = (await manager.query(
    `SELECT lm.location, ss.service_id AS "serviceId", ss.status, ss.last_result_at AS "observedAt", ss.changed_at AS "changedAt", mine.changed_at AS "downSince"
       FROM service_state mine
       JOIN service_state ss ON ss.service_id = mine.service_id
       JOIN location_monitor lm ON lm.id = ss.monitor_id
      WHERE mine.monitor_id = $1 AND mine.status = 'DOWN'
        AND lm.location <> $2 AND lm.lifecycle = 'STARTED' AND NOT lm.paused AND NOT lm.connectivity_lost`,
    [monitor.id, monitor.location],
  )) as Record<keyof OtherView, string | number>[];
  return rows.map((r) => ({
    location: String(r.location),
    serviceId: String(r.serviceId),
    status: r.status === 'DOWN' ? 'DOWN' : 'UP',
    observedAt: Number(r.observedAt),
    changedAt: Number(r.changedAt),
    downSince: Number(r.downSince),
  }));
}

/** The views still current: polled within the last few of the service's intervals (from that location). */
function fresh(views: readonly OtherView[], nowMs: number, serviceAt: ServiceAt): OtherView[] {
  return views.filter((v) => {
    const interval = serviceAt(v.location, v.serviceId)?.intervalMs;
    return interval !== undefined && v.observedAt >= nowMs - FRESH_INTERVALS * interval;
  });
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** "a, b, c" or "a, b, c and 4 more": a sentence stays short whatever the count. */
function listed(values: readonly string[], max = 3): string {
  return values.length <= max ? values.join(', ') : `${values.slice(0, max).join(', ')} and ${values.length - max} more`;
}
