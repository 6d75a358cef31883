/**
 * Correlation across locations for applications. A service is down at a
 * location when every reporting monitor there sees it down (one that still
 * reaches it means the location does); an application is down at a location
 * when any of its services is. When at least K locations see it down (K per
 * application, default 2, or every reporting location when fewer report),
 * applicationDown is raised; when fewer do again, applicationUp clears it.
 * Fewer than K is a partial outage: visible per location, no application event.
 */
import { Uei } from '@vantage/common';
import type { NewEvent } from '@vantage/events';
import type { EntityManager } from 'typeorm';
import type { ApplicationDefinition } from '../config/polling-config.ts';
import { ApplicationStateEntity } from '../db/entities.ts';

export interface ApplicationView {
  /** Locations with at least one reporting monitor that has seen a service of the application. */
  reporting: string[];
  /** Of those, the ones that see the application down. */
  down: string[];
}

/** How the application looks from each location now (inside the caller's transaction). */
export async function viewApplication(manager: EntityManager, application: ApplicationDefinition): Promise<ApplicationView> {
  const serviceIds = application.members.map((m) => m.serviceId);
  const placeholders = serviceIds.map((_, i) => `$${i + 1}`).join(', ');
  const rows = (await manager.query(
    `SELECT lm.location AS location, ss.service_id AS "serviceId", bool_and(ss.status = 'DOWN') AS "allDown"
       FROM service_state ss JOIN location_monitor lm ON lm.id = ss.monitor_id
      WHERE ss.service_id IN (${placeholders})
        AND lm.lifecycle = 'STARTED' AND NOT lm.paused AND NOT lm.connectivity_lost
      GROUP BY lm.location, ss.service_id`,
    serviceIds,
  )) as { location: string; serviceId: string; allDown: boolean }[];
  const reporting = [...new Set(rows.map((r) => r.location))].sort();
  const down = [...new Set(rows.filter((r) => r.allDown).map((r) => r.location))].sort();
  return { reporting, down };
}

export function isApplicationDown(view: ApplicationView, threshold: number): boolean {
  const needed = Math.max(1, Math.min(threshold, view.reporting.length));
  return view.down.length > 0 && view.down.length >= needed;
}

/** Re-evaluates an application after its services changed; returns the event to raise, if any. */
export async function evaluateApplication(manager: EntityManager, application: ApplicationDefinition, nowMs: number): Promise<NewEvent | null> {
  // Lock the application's row first: under READ COMMITTED, the queries after the lock
  // see every state committed by another backend that evaluated it before us.
  await manager.query(`INSERT INTO application_state (name, down, changed_at) VALUES ($1, false, $2) ON CONFLICT (name) DO NOTHING`, [
    application.name,
    nowMs,
  ]);
  const state = await manager.findOne(ApplicationStateEntity, { where: { name: application.name }, lock: { mode: 'pessimistic_write' } });
  const view = await viewApplication(manager, application);
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
      reason: down
        ? `down from ${view.down.length} of ${view.reporting.length} reporting locations (${view.down.join(', ')}); threshold ${application.downThreshold}`
        : `down from ${view.down.length} of ${view.reporting.length} reporting locations, below the threshold of ${application.downThreshold}`,
    },
  };
}
