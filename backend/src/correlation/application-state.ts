/**
 * Correlation across locations for applications. A service is down at a
 * location when every reporting monitor there sees it down (one that still
 * reaches it means the location does); an application is down at a location
 * when any of its services is. When at least K locations see it down (K per
 * application, default 2, or every reporting location when fewer report),
 * applicationDown is raised; when fewer do again, applicationUp clears it.
 * Fewer than K is a partial outage: visible per location, no application event.
 *
 * A location in `distribute` mode is one perspective like any other: its
 * monitors split the services, so its view of a service is what the monitor
 * holding it reports (the highest-ranked of its started, unpaused monitors
 * that has a state for it: the hand-off removes the states of monitors a
 * service moved away from), and it counts once towards K.
 */
import { Uei } from '@vantage/common';
import type { NewEvent } from '@vantage/events';
import type { EntityManager } from 'typeorm';
import type { ApplicationDefinition } from '../config/polling-config.ts';
import { ApplicationStateEntity } from '../db/entities.ts';
import { hashKey, outranks, weightOf } from '../packages/rendezvous.ts';

/** Whether a location is in `distribute` mode (by the configuration in force). */
export type IsDistributed = (location: string) => boolean;

const REPLICATE_ONLY: IsDistributed = () => false;

export interface ApplicationView {
  /** Locations with at least one reporting monitor that has seen a service of the application. */
  reporting: string[];
  /** Of those, the ones that see the application down. */
  down: string[];
}

/** How the application looks from each location now (inside the caller's transaction). */
export async function viewApplication(
  manager: EntityManager,
  application: ApplicationDefinition,
  distributed: IsDistributed = REPLICATE_ONLY,
): Promise<ApplicationView> {
  const serviceIds = application.members.map((m) => m.serviceId);
  const placeholders = serviceIds.map((_, i) => `$${i + 1}`).join(', ');
  const rows = (await manager.query(
    `SELECT lm.location AS location, ss.service_id AS "serviceId", ss.monitor_id AS "monitorId", ss.status, lm.connectivity_lost AS "connectivityLost"
       FROM service_state ss JOIN location_monitor lm ON lm.id = ss.monitor_id
      WHERE ss.service_id IN (${placeholders}) AND lm.lifecycle = 'STARTED' AND NOT lm.paused`,
    serviceIds,
  )) as StateRow[];
  const byLocationAndService = new Map<string, StateRow[]>();
  for (const row of rows) {
    const key = `${row.location}\n${row.serviceId}`;
    byLocationAndService.set(key, [...(byLocationAndService.get(key) ?? []), row]);
  }
  const reporting = new Set<string>();
  const down = new Set<string>();
  for (const states of byLocationAndService.values()) {
    const { location } = states[0]!;
    // A monitor whose own connectivity is lost sees its network, not the services: it is set aside.
    const seen = (distributed(location) ? [holderState(states)] : states).filter((s) => !s.connectivityLost);
    if (seen.length === 0) continue;
    reporting.add(location);
    if (seen.every((s) => s.status === 'DOWN')) down.add(location);
  }
  return { reporting: [...reporting].sort(), down: [...down].sort() };
}

interface StateRow {
  location: string;
  serviceId: string;
  monitorId: string;
  status: string;
  connectivityLost: boolean;
}

/** Of one location's states of one service, the one of the monitor ranked highest for it: the monitor that holds it. */
function holderState(states: readonly StateRow[]): StateRow {
  const serviceHash = hashKey(states[0]!.serviceId);
  const ranked = states.map((state) => ({ state, id: state.monitorId, weight: weightOf(serviceHash, hashKey(state.monitorId)) }));
  return ranked.reduce((best, candidate) => (outranks(candidate, best) ? candidate : best)).state;
}

/** How many locations must see the application down: its threshold, or every reporting location when fewer report. */
export function locationsNeeded(view: ApplicationView, threshold: number): number {
  return Math.max(1, Math.min(threshold, view.reporting.length));
}

export function isApplicationDown(view: ApplicationView, threshold: number): boolean {
  return view.down.length > 0 && view.down.length >= locationsNeeded(view, threshold);
}

/**
 * The sentence an operator reads on the event and its alarm; its counts are
 * the ones the decision used: "down from 1 of 1 reporting location (LON); at
 * least 1 needed, as only 1 location reports (threshold 2)". Up again with
 * no location seeing it down, it says that ("up from all 2 reporting
 * locations"), not "down from 0 of 2".
 */
export function applicationReason(view: ApplicationView, threshold: number, down: boolean): string {
  const needed = locationsNeeded(view, threshold);
  const reporting = view.reporting.length;
  if (!down && view.down.length === 0) {
    if (reporting === 0) return 'no location reports on it now';
    return reporting === 1 ? `up from the one reporting location (${view.reporting[0]})` : `up from all ${reporting} reporting locations`;
  }
  const seen = `down from ${view.down.length} of ${reporting} reporting location${reporting === 1 ? '' : 's'}`;
  const fewer = needed < threshold ? `, as only ${reporting} location${reporting === 1 ? '' : 's'} report${reporting === 1 ? 's' : ''} (threshold ${threshold})` : '';
  return down ? `${seen} (${view.down.join(', ')}); at least ${needed} needed${fewer}` : `${seen}, fewer than the ${needed} needed${fewer}`;
}

/** Re-evaluates an application after its services changed; returns the event to raise, if any. */
export async function evaluateApplication(
  manager: EntityManager,
  application: ApplicationDefinition,
  nowMs: number,
  distributed: IsDistributed = REPLICATE_ONLY,
): Promise<NewEvent | null> {
  // Lock the application's row first: under READ COMMITTED, the queries after the lock
  // see every state committed by another backend that evaluated it before us.
  await manager.query(`INSERT INTO application_state (name, down, changed_at) VALUES ($1, false, $2) ON CONFLICT (name) DO NOTHING`, [
    application.name,
    nowMs,
  ]);
  const state = await manager.findOne(ApplicationStateEntity, { where: { name: application.name }, lock: { mode: 'pessimistic_write' } });
  const view = await viewApplication(manager, application, distributed);
  const down = isApplicationDown(view, application.downThreshold);
  if (state && state.down === down) {
    if (down && state.downLocations.join() !== view.down.join()) {
      await manager.update(ApplicationStateEntity, { name: application.name }, { downLocations: view.down });
    }
    return null;
  }
  await manager.update(ApplicationStateEntity, { name: application.name }, { down, changedAt: nowMs, downLocations: down ? view.down : [] });
  return {
    uei: down ? Uei.applicationDown : Uei.applicationUp,
    time: nowMs,
    location: null,
    monitorId: null,
    params: {
      application: application.name,
      downLocations: view.down.join(', '),
      reportingLocations: view.reporting.join(', '),
      threshold: String(application.downThreshold),
      reason: applicationReason(view, application.downThreshold, down),
    },
  };
}
