/**
 * A monitor that sees every service it polls go down while other locations
 * see them up has lost its own connectivity: the services are fine, its
 * network is not. Then one connectivity event is raised for the location
 * instead of a lost-service alarm per service; lost-service alarms already
 * raised for it are cleared as explained, and its announcements wait until
 * it sees a service up again.
 *
 * "Every service it polls" is its package, or at a `distribute` location its
 * share (the services it holds; the hand-off removes its state of the
 * others), and "other locations" are other locations only: the monitors of
 * its own location poll other services (distribute) or share its network.
 */
import { Uei, type UeiValue } from '@vantage/common';
import { alarmActionFor, type NewEvent } from '@vantage/events';
import type { EntityManager } from 'typeorm';
import { clearAlarms } from '../alarms/alarm-store.ts';
import { LocationMonitorEntity, ServiceStateEntity, type LocationMonitorRow } from '../db/entities.ts';

/** Fewer services than this and "all down" says as much about the services as about the monitor. */
export const MIN_SERVICES_FOR_CONNECTIVITY = 2;

export type ConnectivityChange = { kind: 'lost'; events: NewEvent[] } | { kind: 'restored'; events: NewEvent[] } | null;

export async function evaluateConnectivity(
  manager: EntityManager,
  monitor: LocationMonitorRow,
  /** How many services the monitor polls: its package, or its share at a `distribute` location. */
  polledCount: number,
  nowMs: number,
): Promise<ConnectivityChange> {
  if (polledCount < MIN_SERVICES_FOR_CONNECTIVITY) return null;
  // The usual answer, found at the first row rather than by counting every service of a large package:
  // connectivity that is not lost stays so while any service is not DOWN, and lost connectivity stays lost while none is UP.
  const [usual] = (await manager.query(
    `SELECT EXISTS (SELECT 1 FROM service_state WHERE monitor_id = $1 AND status ${monitor.connectivityLost ? "= 'UP'" : "<> 'DOWN'"}) AS found`,
    [monitor.id],
  )) as { found: boolean }[];
  if (usual?.found === !monitor.connectivityLost) return null;
  const [counts] = (await manager.query(
    `SELECT count(*) FILTER (WHERE status = 'DOWN')::int AS down, count(*) FILTER (WHERE status = 'UP')::int AS up
       FROM service_state WHERE monitor_id = $1`,
    [monitor.id],
  )) as { down: number; up: number }[];
  const base = { time: nowMs, location: monitor.location, monitorId: monitor.id } as const;

  if (monitor.connectivityLost) {
    if ((counts?.up ?? 0) === 0) return null;
    await manager.update(LocationMonitorEntity, { id: monitor.id }, { connectivityLost: false });
    return {
      kind: 'restored',
      events: [{ ...base, uei: Uei.monitorConnectivityRestored, params: { monitorName: monitor.name, reason: 'a service is up again from this monitor' } }],
    };
  }

  if ((counts?.down ?? 0) < polledCount) return null;
  const [others] = (await manager.query(
    `SELECT count(DISTINCT lm.location)::int AS locations
       FROM service_state ss JOIN location_monitor lm ON lm.id = ss.monitor_id
      WHERE ss.status = 'UP' AND lm.location <> $1 AND lm.lifecycle = 'STARTED' AND NOT lm.connectivity_lost
        AND ss.service_id IN (SELECT service_id FROM service_state WHERE monitor_id = $2 AND status = 'DOWN')`,
    [monitor.location, monitor.id],
  )) as { locations: number }[];
  if ((others?.locations ?? 0) === 0) return null;

  await manager.update(LocationMonitorEntity, { id: monitor.id }, { connectivityLost: true });
  // Lost-service alarms already raised from this monitor are explained by its connectivity.
  const announcedDown = await manager.findBy(ServiceStateEntity, { monitorId: monitor.id, eventStatus: 'DOWN' });
  const keys = announcedDown.map(
    (s) => alarmActionFor({ uei: Uei.nodeLostService as UeiValue, monitorId: monitor.id, serviceId: s.serviceId, params: {} })!.reductionKey,
  );
  await clearAlarms(manager, keys, nowMs, "explained by the monitor's own connectivity");
  await manager.update(ServiceStateEntity, { monitorId: monitor.id, eventStatus: 'DOWN' }, { eventStatus: 'UP' });
  return {
    kind: 'lost',
    events: [
      {
        ...base,
        uei: Uei.monitorConnectivityLost,
        params: {
          monitorName: monitor.name,
          reason: `all ${polledCount} services are down from this monitor while ${others!.locations} other location${others!.locations === 1 ? '' : 's'} see them up`,
        },
      },
    ],
  };
}
